"""Redis keeps the broker's queue on disk, in tests and in production alike: test_redis_restart proves
what the append-only file buys against the server `make test` starts; this checks production has it."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_production_redis_writes_an_append_only_file_to_its_volume():
    redis = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"]), (
        "the file must outlive the container"
    )


def test_the_test_redis_runs_with_the_same_append_only_setting():
    script = (ROOT / "scripts" / "with-services.sh").read_text()
    assert "\nappendonly yes\n" in script
    assert 'redis-server "$REDIS_DIR/redis.conf"' in script
