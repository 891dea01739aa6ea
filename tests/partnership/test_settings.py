"""Settings come from the environment, with embedded defaults; Celery is configured for reliability."""

from __future__ import annotations

import json
import subprocess

from django.conf import settings

from partnership.celery import app as celery_app
from tests.partnership.helpers import PROJECT_DIR, PYTHON, embedded_environment

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'host': s.DATABASES['default']['HOST'], 'atomic': s.DATABASES['default']['ATOMIC_REQUESTS'],"
    " 'embedded': s.EMBEDDED_POSTGRES_DIR and str(s.EMBEDDED_POSTGRES_DIR),"
    " 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS,"
    " 'csrf': s.CSRF_TRUSTED_ORIGINS, 'secret_len': len(s.SECRET_KEY)}))"
)


def settings_under(env: dict[str, str]) -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": "partnership.settings"}
    out = subprocess.run(
        [PYTHON, "-c", PRINT_SETTINGS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_with_nothing_set_it_runs_on_the_embedded_postgres_and_the_filesystem_broker_under_var(tmp_path):
    values = settings_under(embedded_environment(tmp_path))
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "partnership"
    assert values["host"] == str(tmp_path / "postgres"), "over the Unix socket in var/postgres/"
    assert values["embedded"] == str(tmp_path / "postgres")
    assert values["atomic"] is True
    assert values["broker"] == "filesystem://"
    assert values["debug"] is False, "debug pages only when asked for (make run asks, on loopback)"
    assert values["secret_len"] >= 50
    assert (tmp_path / "secret_key").exists(), "the generated key is kept so sessions survive a restart"
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_the_environment_overrides_every_default(tmp_path):
    env = embedded_environment(
        tmp_path,
        DATABASE_URL="postgres://u:p@db.internal:5432/partnership",
        REDIS_URL="redis://cache.internal:6379/0",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="partnership.example.com,www.partnership.example.com",
        CSRF_TRUSTED_ORIGINS="https://partnership.example.com",
    )
    values = settings_under(env)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "partnership"
    assert values["host"] == "db.internal"
    assert values["embedded"] is None, "rundemo starts no server of its own"
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["debug"] is False
    assert values["hosts"] == ["partnership.example.com", "www.partnership.example.com"]
    assert values["csrf"] == ["https://partnership.example.com"]


def test_a_malformed_boolean_is_refused_with_its_name(tmp_path):
    env = {**embedded_environment(tmp_path, DEBUG="maybe"), "DJANGO_SETTINGS_MODULE": "partnership.settings"}
    out = subprocess.run(
        [PYTHON, "-c", PRINT_SETTINGS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "DEBUG must be a boolean" in out.stderr


def test_a_sqlite_database_url_is_refused_with_a_clear_message(tmp_path):
    env = {
        **embedded_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        "DJANGO_SETTINGS_MODULE": "partnership.settings",
    }
    out = subprocess.run(
        [PYTHON, "-c", PRINT_SETTINGS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL names a sqlite3 database" in out.stderr
    assert "Postgres only" in out.stderr
    assert not (tmp_path / "db.sqlite3").exists(), "refused before anything opened the file"


def test_celery_speaks_json_only_and_takes_one_message_at_a_time():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.worker_prefetch_multiplier == 1


def test_celery_has_soft_and_hard_time_limits_and_a_visibility_timeout_beyond_them():
    conf = celery_app.conf
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_idempotent_pull_is_acknowledged_late_and_requeued_if_its_worker_dies():
    celery_app.loader.import_default_modules()  # the tasks modules, as a worker imports them at start
    task = celery_app.tasks["costdata.pull_source"]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries is not None, "retries are capped"


def test_beat_keeps_its_schedule_in_the_database():
    assert celery_app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
