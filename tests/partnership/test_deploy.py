"""The production description (docker-compose.yml, Dockerfile, .env.example) matches the project.

Docker cannot run here, so these tests read the files and check them against the code they start:
every command a container runs exists and parses, web/worker/beat share one configuration, every
variable is documented and read by something, the image's build-time collectstatic works without a
database or secrets, and `manage.py check --deploy` passes with the production environment.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
IMAGE_ROOT = "/app"  # WORKDIR of the image: where the source tree is copied

SERVICES = {"postgres", "redis", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")
PROJECT_APPS = ("partnership", "stakeholders", "meetings", "costdata")
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
PUBLIC_HOST = "partnership.example.com"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
ENV_LINE = re.compile(r"^#?\s?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


# --- Reading the files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str, variables: dict[str, str] | None = None) -> str:
    """What docker compose does to ${...} in the file, given the .env values (defaults otherwise)."""
    variables = variables or {}

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if variables.get(name):
            return variables[name]
        if op and op.endswith("-"):
            return arg
        return f"compose-value-of-{name.lower()}"

    return INTERPOLATION.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


def command_lines(command: list[str] | str, variables: dict[str, str] | None = None) -> list[list[str]]:
    """The programs a command runs, each as argv; `sh -c "a && exec b"` gives [a, b]."""
    argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    argv = [interpolate(part, variables) for part in argv]
    if argv[:1] in (["CMD"], ["CMD-SHELL"]):
        shell = argv[0] == "CMD-SHELL"
        argv = argv[1:]
        if shell:
            argv = ["sh", "-c", " ".join(argv)]
    if argv[:2] != ["sh", "-c"]:
        return [argv]
    lines: list[list[str]] = [[]]
    for token in shlex.split(argv[2]):
        if token in {"&&", ";", "||"}:
            lines.append([])
        else:
            lines[-1].append(token)
    return [line[1:] if line[:1] == ["exec"] else line for line in lines if line]


def service_programs(service: dict[str, Any]) -> list[list[str]]:
    programs = command_lines(service["command"])
    if "healthcheck" in service:
        programs += command_lines(service["healthcheck"]["test"])
    return programs


def settings_variables() -> set[str]:
    """Every environment variable partnership/settings.py reads through the env_* helpers."""
    tree = ast.parse((ROOT / "partnership" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ENV_READERS:
            first = node.args[0]
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"settings.py line {node.lineno}: the variable name must be a literal string"
            )
            names.add(first.value)
    return names


def env_example() -> list[tuple[str, str, bool, int]]:
    """(name, value, active, line number) for each variable .env.example documents."""
    entries = []
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        match = ENV_LINE.match(line)
        if match:
            entries.append((match["name"], match["value"], not line.startswith("#"), number))
    return entries


def env_example_values() -> dict[str, str]:
    return {name: value for name, value, active, _ in env_example() if active}


def compose_variables() -> dict[str, str]:
    """Variables docker-compose.yml interpolates, with their operator (':-', ':?', ...)."""
    return {m["name"]: m["op"] or "" for m in INTERPOLATION.finditer(COMPOSE.read_text())}


def boto3_variables() -> set[str]:
    """Environment variables botocore itself reads (session config, credentials, web identity)."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES
    from botocore.credentials import AssumeRoleWithWebIdentityProvider, EnvProvider

    names: set[str] = {"AWS_ENDPOINT_URL"}
    for _config_name, env_names, _default, _convert in BOTOCORE_DEFAUT_SESSION_VARIABLES.values():
        if isinstance(env_names, str):
            names.add(env_names)
        elif env_names:
            names.update(env_names)
    names.update(
        {EnvProvider.ACCESS_KEY, EnvProvider.SECRET_KEY, EnvProvider.EXPIRY_TIME, *EnvProvider.TOKENS}
    )
    names.update(AssumeRoleWithWebIdentityProvider._CONFIG_TO_ENV_VAR.values())
    return names


# Service-specific endpoint variables, AWS_ENDPOINT_URL_<service id>, for the clients the product makes.
AWS_ENDPOINT_CLIENTS = {"AWS_ENDPOINT_URL_COST_EXPLORER": "ce", "AWS_ENDPOINT_URL_STS": "sts"}


def production_environment(tmp_path: Path) -> dict[str, str]:
    """The environment web/worker/beat get from docker-compose.yml and a filled-in .env, except that
    the database is the test run's Postgres (no `postgres` host here) and nothing else inherits from
    this shell."""
    variables = env_example_values()
    variables.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        POSTGRES_PASSWORD=secrets.token_hex(16),
        EMAIL_HOST_PASSWORD="x",
    )
    shared = yaml.safe_load(COMPOSE.read_text())["x-app"]["environment"]
    environment = {k: v for k, v in variables.items() if v}
    environment.update({name: interpolate(str(value), variables) for name, value in shared.items()})
    environment.update(
        DATABASE_URL=os.environ["DATABASE_URL"],
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "staticfiles"),
        PATH=os.environ["PATH"],
        HOME=str(tmp_path),
        DJANGO_SETTINGS_MODULE="partnership.settings",
    )
    return environment


def run_python(args: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


# --- (a) The services ------------------------------------------------------------------------------


def test_compose_declares_the_five_production_services(compose):
    assert set(compose["services"]) == SERVICES


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name} has no healthcheck command"


def test_postgres_runs_postgres_16_on_a_volume_checked_with_pg_isready(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    assert any(mount.endswith(":/var/lib/postgresql/data") for mount in postgres["volumes"])
    assert command_lines(postgres["healthcheck"]["test"])[0][0] == "pg_isready"
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_redis_runs_redis_7_append_only_on_a_volume_checked_with_ping(compose):
    redis = compose["services"]["redis"]
    assert redis["image"] == "redis:7"
    argv = command_lines(redis["command"])[0]
    assert argv[0] == "redis-server"
    assert argv[argv.index("--appendonly") + 1] == "yes"
    assert any(mount.endswith(":/data") for mount in redis["volumes"])
    assert command_lines(redis["healthcheck"]["test"]) == [["redis-cli", "ping"]]


def test_every_mounted_volume_is_a_declared_named_volume(compose):
    declared = set(compose["volumes"])
    mounted = {
        mount.split(":")[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
    }
    assert mounted == {"postgres-data", "redis-data"}
    assert mounted <= declared


def test_web_waits_for_healthy_postgres_and_redis(compose):
    assert compose["services"]["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_worker_and_beat_wait_for_a_healthy_web_so_migrations_have_run(compose):
    for name in ("worker", "beat"):
        depends_on = compose["services"][name]["depends_on"]
        assert set(depends_on) == {"postgres", "redis", "web"}, name
        assert {entry["condition"] for entry in depends_on.values()} == {"service_healthy"}, name


def test_every_dependency_waited_on_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        for dependency, entry in service.get("depends_on", {}).items():
            assert entry["condition"] == "service_healthy", f"{name} -> {dependency}"
            assert "healthcheck" in compose["services"][dependency], f"{name} waits on {dependency}"


def test_web_migrates_then_serves_gunicorn_on_port_8000(compose):
    migrate, serve = command_lines(compose["services"]["web"]["command"])
    assert migrate[:3] == ["python", "manage.py", "migrate"]
    assert "--noinput" in migrate
    assert serve[:2] == ["gunicorn", "partnership.wsgi"]
    assert serve[serve.index("--bind") + 1] == "0.0.0.0:8000"


def test_web_healthcheck_asks_healthz(compose):
    from django.urls import resolve

    assert command_lines(compose["services"]["web"]["healthcheck"]["test"]) == [
        ["python", f"{IMAGE_ROOT}/docker/healthcheck.py", "web"]
    ]
    path = load_healthcheck().DEFAULT_URL.removeprefix("http://127.0.0.1:8000")
    assert resolve(path).url_name == "healthz"


# --- (b) Every command exists in the project ------------------------------------------------------


def load_healthcheck():
    """docker/healthcheck.py is a script, not a package module: load it from its file."""
    spec = importlib.util.spec_from_file_location("docker_healthcheck", HEALTHCHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_programs(compose: dict[str, Any]) -> list[list[str]]:
    return [argv for name in APP_SERVICES for argv in service_programs(compose["services"][name])]


def test_gunicorn_command_parses_and_its_wsgi_module_imports(compose):
    from gunicorn.config import Config

    gunicorns = [argv for argv in all_programs(compose) if argv[0] == "gunicorn"]
    assert gunicorns, "web runs gunicorn"
    for argv in gunicorns:
        options = Config().parser().parse_args(argv[1:])
        module_name, _, attribute = options.args[0].partition(":")
        application = getattr(importlib.import_module(module_name), attribute or "application")
        assert callable(application)


def celery_context(argv: list[str]) -> click.Context:
    """Parse a `celery -A APP SUBCOMMAND ...` line the way the celery CLI does, without running it."""
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as cli

    assert argv[0] == "celery" and argv[1] == "-A", argv
    app = find_app(argv[2])
    subcommand = cli.commands[argv[3]]
    obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    return subcommand.make_context(argv[3], argv[4:], obj=obj)


def test_celery_commands_parse_against_the_celery_cli(compose):
    celeries = [argv for argv in all_programs(compose) if argv[0] == "celery"]
    assert {argv[3] for argv in celeries} == {"worker", "beat", "inspect"}
    for argv in celeries:
        celery_context(argv)  # raises on an unknown subcommand or option


def test_the_celery_cli_rejects_an_unknown_option():
    with pytest.raises(click.UsageError):
        celery_context(["celery", "-A", "partnership", "worker", "--no-such-option"])


def project_task_names() -> set[str]:
    from celery.app.task import Task

    names = set()
    for app_name in PROJECT_APPS:
        if not (ROOT / app_name / "tasks.py").exists():
            continue
        module = importlib.import_module(f"{app_name}.tasks")
        names.update(obj.name for obj in vars(module).values() if isinstance(obj, Task))
    return names


def test_celery_app_of_the_commands_registers_every_project_task(compose):
    from celery.app.utils import find_app

    expected = project_task_names()
    assert {"partnership.ping", "costdata.pull_source"} <= expected
    for argv in all_programs(compose):
        if argv[0] == "celery":
            app = find_app(argv[2])
            app.loader.import_default_modules()
            missing = expected - set(app.tasks)
            assert not missing, f"`celery -A {argv[2]}` does not register {sorted(missing)}"


def test_beat_scheduler_class_imports_and_is_the_configured_one(compose, settings):
    from celery.beat import Scheduler
    from celery.utils.imports import symbol_by_name

    argv = command_lines(compose["services"]["beat"]["command"])[0]
    scheduler = celery_context(argv).params["scheduler"]
    assert scheduler == settings.CELERY_BEAT_SCHEDULER
    assert issubclass(symbol_by_name(scheduler), Scheduler)


def test_manage_py_subcommands_exist(compose):
    from django.core.management import get_commands

    manage_lines = [argv for argv in all_programs(compose) if argv[1:2] == ["manage.py"]]
    assert manage_lines, "web runs manage.py migrate"
    for argv in manage_lines:
        assert argv[2] in get_commands(), argv


def test_healthcheck_scripts_exist_in_the_image_tree_and_accept_their_arguments(compose):
    scripts = [argv for argv in all_programs(compose) if argv[0] == "python" and argv[1] != "manage.py"]
    assert {argv[2] for argv in scripts} == {"web", "dependencies"}
    for argv in scripts:
        assert argv[1].startswith(f"{IMAGE_ROOT}/")
        assert (ROOT / argv[1].removeprefix(f"{IMAGE_ROOT}/")) == HEALTHCHECK
        assert HEALTHCHECK.exists()
    with pytest.raises(SystemExit):
        load_healthcheck().main(["no-such-check"])


# --- (c) web, worker and beat share one configuration ---------------------------------------------


def test_web_worker_and_beat_share_environment_env_file_and_image(compose):
    services = compose["services"]
    for key in ("environment", "env_file", "image", "build"):
        values = [services[name][key] for name in APP_SERVICES]
        assert values[0] == values[1] == values[2], key
    assert services["web"]["env_file"] == ".env"
    assert services["web"]["environment"] == compose["x-app"]["environment"]


def test_shared_environment_names_only_variables_settings_read(compose):
    unknown = set(compose["x-app"]["environment"]) - settings_variables()
    assert not unknown, f"settings.py reads none of {sorted(unknown)}"


def test_shared_environment_points_at_the_compose_services_with_debug_off(compose):
    import dj_database_url

    shared = {k: interpolate(str(v)) for k, v in compose["x-app"]["environment"].items()}
    database = dj_database_url.parse(shared["DATABASE_URL"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"]) == ("postgres", 5432)
    postgres_env = compose["services"]["postgres"]["environment"]
    assert (database["NAME"], database["USER"]) == (
        postgres_env["POSTGRES_DB"],
        postgres_env["POSTGRES_USER"],
    )
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        parts = urlsplit(shared[name])
        assert (parts.scheme, parts.hostname, parts.port) == ("redis", "redis", 6379), name
    assert shared["DEBUG"] == "false"
    assert shared["TRUSTED_PROXY_HOPS"] == "1", (
        "web is behind the host's proxy: its address is not the client"
    )
    assert shared["STATICFILES_STORAGE"] == MANIFEST_STORAGE
    assert shared["WHITENOISE_USE_FINDERS"] == "false"
    for required in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"):
        assert compose["x-app"]["environment"][required].startswith(f"${{{required}:?"), required


# --- (d) .env.example ---------------------------------------------------------------------------


def test_env_example_documents_every_variable_settings_reads():
    documented = {name for name, *_ in env_example()}
    missing = settings_variables() - documented
    assert not missing, f".env.example does not document {sorted(missing)}"


def test_env_example_names_only_variables_something_reads():
    known = settings_variables() | boto3_variables() | set(AWS_ENDPOINT_CLIENTS) | set(compose_variables())
    unknown = {name for name, *_ in env_example()} - known
    assert not unknown, f"nothing reads {sorted(unknown)}"


def test_env_example_documents_each_variable_once_with_a_comment_above():
    lines = ENV_EXAMPLE.read_text().splitlines()
    names = [name for name, *_ in env_example()]
    assert len(names) == len(set(names)), "a variable is documented twice"
    for name, _value, _active, number in env_example():
        above = lines[number - 2]
        assert above.startswith("#") and not ENV_LINE.match(above), f"{name} (line {number}) has no comment"


def test_env_example_variables_compose_interpolates_are_documented_and_required_ones_active():
    entries = {name: active for name, _value, active, _ in env_example()}
    for name, op in compose_variables().items():
        assert name in entries, f"docker-compose.yml uses ${{{name}}} but .env.example omits it"
        if op.endswith("?"):
            assert entries[name], f"{name} is required by docker-compose.yml: it must be an active line"


def test_env_example_holds_no_secret_values():
    values = {name: value for name, value, *_ in env_example()}
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "EMAIL_HOST_PASSWORD", "AWS_SECRET_ACCESS_KEY"):
        assert values.get(name, "") == "", f"{name} must be left empty in .env.example"


def test_env_example_service_endpoint_variables_reach_boto3(monkeypatch):
    import boto3

    documented = {name for name, *_ in env_example() if name.startswith("AWS_ENDPOINT_URL_")}
    assert documented <= set(AWS_ENDPOINT_CLIENTS), sorted(documented - set(AWS_ENDPOINT_CLIENTS))
    assert "AWS_ENDPOINT_URL_COST_EXPLORER" in documented
    for name in documented:
        monkeypatch.setenv(name, "http://127.0.0.1:9/endpoint")
        client = boto3.session.Session().client(
            AWS_ENDPOINT_CLIENTS[name],
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert client.meta.endpoint_url == "http://127.0.0.1:9/endpoint", name
        monkeypatch.delenv(name)


# --- (e) check --deploy ---------------------------------------------------------------------------


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, timeout=120)


def test_check_deploy_passes_with_debug_off_and_the_required_variables(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": PUBLIC_HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{PUBLIC_HOST}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_passes_with_the_compose_production_environment(tmp_path):
    result = check_deploy(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_fails_on_a_weak_secret_key(tmp_path):
    env = production_environment(tmp_path) | {"SECRET_KEY": "short"}
    result = check_deploy(env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# --- The image ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(rest))
    return env


def test_dockerfile_builds_on_python_311_slim_and_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert any(
        keyword == "RUN" and "pip install" in rest and rest.rstrip().endswith(" .")
        for keyword, rest in instructions
    )
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"][-1]
    assert json.loads(cmd)[:2] == ["gunicorn", "partnership.wsgi"]
    assert ("WORKDIR", IMAGE_ROOT) in instructions


def test_dockerfile_bakes_no_secret_into_the_image():
    env = dockerfile_env()
    for name in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "DATABASE_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        assert name not in env, name
    assert env["STATICFILES_STORAGE"] == MANIFEST_STORAGE


def test_dockerfile_collectstatic_step_works_without_a_database_or_secrets(tmp_path):
    """Replays the image's collectstatic RUN step with the image's ENV and nothing else, then renders
    the login page with the production settings from the collected, fingerprinted files."""
    steps = [
        rest for keyword, rest in dockerfile_instructions() if keyword == "RUN" and "collectstatic" in rest
    ]
    assert len(steps) == 1
    tokens = shlex.split(steps[0].split("&&")[0])
    inline = dict(token.split("=", 1) for token in tokens if re.match(r"^[A-Z_]+=", token))
    argv = [token for token in tokens if not re.match(r"^[A-Z_]+=", token)]
    assert argv[:3] == ["python", "manage.py", "collectstatic"]

    def local(value: str) -> str:
        # Paths inside the image map to this checkout (source) or tmp_path (state).
        if value == IMAGE_ROOT:
            return str(ROOT)
        if value.startswith(f"{IMAGE_ROOT}/") or value.startswith("/tmp/"):
            return str(tmp_path / value.strip("/").replace("/", "_"))
        return value

    env = {name: local(value) for name, value in (dockerfile_env() | inline).items()}
    env |= {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    assert "DATABASE_URL" not in env and "REDIS_URL" not in env
    result = run_python(argv[1:], env)
    assert result.returncode == 0, result.stdout + result.stderr

    static_root = Path(env["STATIC_ROOT"])
    assert (static_root / "staticfiles.json").exists()
    assert list(static_root.glob("css/app.*.css.gz")), "app.css fingerprinted and compressed"
    assert not (Path(env["VAR_DIR"]) / "secret_key").exists(), "no key file written at build time"

    render = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"response = Client().get('/accounts/login/', secure=True, HTTP_HOST={PUBLIC_HOST!r})\n"
        "body = response.content.decode()\n"
        "assert response.status_code == 200, response.status_code\n"
        "import re; print(' '.join(re.findall(r'/static/[^\"]+', body)))\n"
    )
    production = production_environment(tmp_path) | {"STATIC_ROOT": str(static_root)}
    result = run_python(["-c", render], production, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"/static/css/app\.[0-9a-f]{12}\.css", result.stdout), result.stdout


def dockerignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def ignored(path: str) -> bool:
    verdict = False
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        if any(fnmatch(part, pattern) for part in [path, *Path(path).parts]):
            verdict = not negate
    return verdict


def test_dockerignore_keeps_local_state_secrets_and_test_output_out_of_the_image():
    for path in (
        ".venv",
        "var",
        "control",
        ".git",
        ".env",
        "test-results",
        ".pytest_cache",
        "costdata/__pycache__",
    ):
        assert ignored(path), path


def test_dockerignore_keeps_what_the_image_needs():
    needed = ["manage.py", "pyproject.toml", "templates", "static", "docker/healthcheck.py", *PROJECT_APPS]
    for path in needed:
        assert not ignored(path), path


# --- The health checks the containers run ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VAR_DIR", str(tmp_path / "var"))
    env.update(overrides)
    return env


def test_web_healthcheck_passes_against_a_healthy_server(live_server, transactional_db, settings, tmp_path):
    settings.ALLOWED_HOSTS = [PUBLIC_HOST]
    env = subprocess_env(tmp_path, ALLOWED_HOSTS=f".{PUBLIC_HOST},other.example.com")
    result = run_python([str(HEALTHCHECK), "web", "--url", f"{live_server.url}/healthz"], env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("healthy 200")


def test_web_healthcheck_fails_when_the_server_refuses_its_host(
    live_server, transactional_db, settings, tmp_path
):
    settings.ALLOWED_HOSTS = [PUBLIC_HOST]
    env = subprocess_env(tmp_path, ALLOWED_HOSTS="elsewhere.example.org")
    result = run_python([str(HEALTHCHECK), "web", "--url", f"{live_server.url}/healthz"], env, timeout=60)
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy 400")


def test_web_healthcheck_fails_when_nothing_listens(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/healthz"
    result = run_python([str(HEALTHCHECK), "web", "--url", url], subprocess_env(tmp_path), timeout=60)
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy unreachable")


def test_dependencies_healthcheck_passes_when_database_and_broker_answer(tmp_path):
    (tmp_path / "var" / "celery" / "queue").mkdir(parents=True)
    result = run_python([str(HEALTHCHECK), "dependencies"], subprocess_env(tmp_path), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"ok": true' in result.stdout


def test_dependencies_healthcheck_fails_when_the_broker_is_down(tmp_path):
    env = subprocess_env(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    result = run_python([str(HEALTHCHECK), "dependencies"], env, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("unhealthy")
    assert '"broker": {"error"' in result.stdout
