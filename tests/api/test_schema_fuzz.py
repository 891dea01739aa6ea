"""Schemathesis against the project's own OpenAPI schema, in-process, as every role.

What must hold for every generated request, whoever sends it: no server error, and a response the
schema documents (status code, content type, headers, body).

How the run stays faithful and inside the CI budget (the whole suite well under 30 minutes on 2 cores):

- Cases are generated once and replayed as each role: generating a case costs about as much as
  answering it, and what varies by role is the server's side (permissions, scope filtering,
  object-level rules), which each role's request really reaches. A failure names the role.
- The fuzzing phase's SCHEMA_FUZZ_EXAMPLES (default 100) examples per operation are each sent as all
  six roles (third party, engineer, business-unit owner, technology lead, finance, admin): at least
  100 generated cases per operation per role.
- Schemathesis' coverage phase (deterministic boundary and negative values, from a few to over 300
  per operation: about as many cases again as the fuzzing phase) is sent as one role per case, the
  roles taking turns, so each role still meets every kind of boundary value on every operation.
  Sending those to all six too would double the run (about 150,000 requests; each costs 5 to 20 ms of
  CPU) for boundary checks of input validation, which runs the same for every role that passes the
  permission gate. SCHEMA_FUZZ_ALL_ROLES=1 sends them to every role (a deeper, slower local run).
- Derandomised by default, so CI is repeatable; SCHEMA_FUZZ_RANDOM=1 explores new inputs each run.
- The data is the demo organisation (people in every role with their teams, ownerships, 13 months of
  costs, budgets, variances, meetings), seeded once for the whole run: all operations run as subtests
  of one test, in one transaction rolled back at the end. Roles send their requests least privileged
  first and admin last, so a delete that only the admin may make does not empty the data the others
  are fuzzed against before they have been.
- The API throttle is lifted for the run (a fuzzer's burst is not a client's) and the per-request INFO
  log is silenced; server errors are still logged.
- Almost all of the run is requests (about 5 ms of the application's CPU each, on a stack every
  request pays: middleware, token, permission predicates, DRF), so the operations are split between
  SCHEMA_FUZZ_PROCESSES processes (default 2, one per core of the CI machine): this one takes its share
  and starts another pytest for the rest, on its own test database, Redis cache database and copy of
  the demo organisation; `test_the_other_processes_found_nothing` reports what they found (their
  output, naming each failing operation and role). Each operation is fuzzed by exactly one process,
  with as many cases of every kind as in one process. Which values are drawn for an operation is
  fixed for a given selection of operations but not across selections: Schemathesis shares generation
  state (its pool of constants) across a run's operations, so what ran earlier in the same process
  steers the draws (a SCHEMA_FUZZ_PATH run of one operation draws differently from the full run, as
  it always has).

Knobs: SCHEMA_FUZZ_PATH (a path regex, e.g. `topics`), SCHEMA_FUZZ_ROLES (comma-separated usernames
of the demo people, e.g. `engineer,admin`), SCHEMA_FUZZ_EXAMPLES, SCHEMA_FUZZ_RANDOM,
SCHEMA_FUZZ_ALL_ROLES, SCHEMA_FUZZ_PROCESSES (1: everything in this process).
Whether invalid input is refused or valid input accepted is left to the endpoints' own tests: an empty
filter is ignored by design, and a filter naming an object that does not exist is schema-valid yet
rightly a 400. Which status a role gets (403, 404, 200) is the role matrix's business (tests/security/).
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.meta import TestPhase

from common.services import api_token_create

schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("SCHEMA_FUZZ_PATH"):
    schema = schema.include(path_regex=os.environ["SCHEMA_FUZZ_PATH"])
# Which share of the operations this process fuzzes: a child started by `other_processes` has its index.
# A focused run (SCHEMA_FUZZ_PATH) is small: one process unless asked.
_DEFAULT_PROCESSES = 1 if os.environ.get("SCHEMA_FUZZ_PATH") else min(2, os.cpu_count() or 1)
PROCESSES = max(1, int(os.environ.get("SCHEMA_FUZZ_PROCESSES", str(_DEFAULT_PROCESSES))))
SHARE = int(os.environ.get("SCHEMA_FUZZ_SHARE", "0"))
IS_CHILD = "SCHEMA_FUZZ_SHARE" in os.environ


def share_of(label: str) -> int:
    """The process that fuzzes an operation: fixed by its label, whatever else is selected."""
    return zlib.crc32(label.encode()) % PROCESSES


if PROCESSES > 1:
    # exclude, not include: includes are alternatives (SCHEMA_FUZZ_PATH OR this share), excludes narrow.
    schema = schema.exclude(lambda ctx: share_of(ctx.operation.label) != SHARE)
MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "100"))
DERANDOMIZE = not os.environ.get("SCHEMA_FUZZ_RANDOM")
# The demo organisation's people, least privileged first (see the module docstring for why).
ROLES = {
    "consultant": "third party",
    "engineer": "engineer",
    "buowner": "business-unit owner",
    "techlead": "technology lead",
    "finance": "finance",
    "admin": "admin",
}
ALL_ROLES_FOR_COVERAGE = bool(os.environ.get("SCHEMA_FUZZ_ALL_ROLES"))
if os.environ.get("SCHEMA_FUZZ_ROLES"):
    ROLES = {name: ROLES[name] for name in os.environ["SCHEMA_FUZZ_ROLES"].split(",")}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _child_environment(index: int) -> dict[str, str]:
    """The environment of the process fuzzing share `index`: its own test database and cache database."""
    env = dict(os.environ, SCHEMA_FUZZ_SHARE=str(index), SCHEMA_FUZZ_PROCESSES=str(PROCESSES))
    database = env.get("DATABASE_URL", "")
    if database:
        # pytest-django creates (and drops) test_<name>; a test database per process.
        url = urlsplit(database)
        env["DATABASE_URL"] = urlunsplit(url._replace(path=f"{url.path.rstrip('/')}_fuzz{index}"))
    if env.get("REDIS_URL") and not env.get("CACHE_URL"):
        # Both processes clear the cache and keep API pages in it: a Redis database each (0-2 are taken).
        from partnership.env import redis_database_url

        env["CACHE_URL"] = redis_database_url(env["REDIS_URL"], 2 + index)
    return env


# The other processes, started once per pytest run (a module fixture can be finalised and set up
# again between the two tests below; a second start would fuzz the same share twice).
_STARTED: list[tuple[int, subprocess.Popen, Path]] | None = None


def _kill_leftovers() -> None:
    for _, process, log in _STARTED or []:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def _start_other_processes() -> list[tuple[int, subprocess.Popen, Path]]:
    global _STARTED
    if _STARTED is not None:
        return _STARTED
    _STARTED = []
    atexit.register(_kill_leftovers)  # an interrupted or failed (-x) run leaves nothing behind
    root = Path(__file__).resolve().parents[2]
    for index in range(1, PROCESSES):
        log = Path(tempfile.mkstemp(prefix=f"schema-fuzz-{index}-", suffix=".log")[1])
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    f"{Path(__file__).relative_to(root)}::test_no_operation_errors_or_breaks_its_schema_for_any_role",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--no-header",
                ],
                cwd=root,
                env=_child_environment(index),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _STARTED.append((index, process, log))
    return _STARTED


@pytest.fixture
def other_processes(request) -> list[tuple[int, subprocess.Popen, Path]]:
    """The pytest processes fuzzing the other shares of the operations, started before this one's."""
    if IS_CHILD or PROCESSES == 1:
        return []
    if not any(item.name == "test_the_other_processes_found_nothing" for item in request.session.items):
        raise pytest.UsageError(
            "The other processes' results are reported by test_the_other_processes_found_nothing: "
            "select it too, or set SCHEMA_FUZZ_PROCESSES=1."
        )
    return _start_other_processes()


@pytest.fixture
def api_schema(db, other_processes, django_user_model):
    from django.core import signals
    from django.db import close_old_connections

    from partnership.wsgi import application

    # Calling the WSGI app directly fires request_started and request_finished, whose
    # close_old_connections would close the test's own connection (and its transaction); Django's test
    # client disconnects it the same way.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        # The schema is for signed-in people and token holders: any account may read it.
        reader = django_user_model.objects.create_user(
            "schema-reader", "schema@example.com", "pw-schema-1234"
        )
        key = api_token_create(user=reader, name="schema").key
        headers = {"Authorization": f"Token {key}"}
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, headers=headers)
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def role_tokens(demo_organisation, django_user_model, monkeypatch) -> Iterator[dict[str, str]]:
    """An API token for each demo person, in ROLES order."""
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "allow_request", lambda self, request, view: True)
    if importlib.util.find_spec("flask") is None:
        # Schemathesis' WSGI transport tries `import flask` on every request (for Flask's exception
        # signal); without Flask each attempt walks the import path. Known absent, it fails at once.
        monkeypatch.setitem(sys.modules, "flask", None)
    loggers = {
        logging.getLogger("partnership.request"): logging.WARNING,
        logging.getLogger("django.request"): logging.ERROR,
    }
    saved = {logger: logger.level for logger in loggers}
    for logger, level in loggers.items():
        logger.setLevel(level)
    users = django_user_model.objects.in_bulk(list(ROLES), field_name="username")
    yield {name: api_token_create(user=users[name], name="fuzz").key for name in ROLES}
    for logger, level in saved.items():
        logger.setLevel(level)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=DERANDOMIZE
)
def test_no_operation_errors_or_breaks_its_schema_for_any_role(case, role_tokens):
    names = list(role_tokens)
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE and not ALL_ROLES_FOR_COVERAGE:
        # The role whose turn it is, chosen from the case itself so a failure replays as the same role.
        names = [
            names[
                zlib.crc32(
                    repr((case.method, case.path, case.path_parameters, case.query, case.body)).encode()
                )
                % len(names)
            ]
        ]
    for name in names:
        token = role_tokens[name]
        try:
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
        except BaseException as exc:
            exc.add_note(f"Sent as {name} ({ROLES[name]}).")
            raise


@pytest.mark.skipif(IS_CHILD or PROCESSES == 1, reason="the operations are all fuzzed in this process")
def test_the_other_processes_found_nothing(other_processes):
    """The operations the other processes fuzzed hold the same properties (see the module docstring)."""
    problems = []
    for index, process, log in other_processes:
        code = process.wait()
        output = log.read_text(errors="replace")
        log.unlink(missing_ok=True)
        if code != 0:
            problems.append(f"process {index + 1} of {PROCESSES} exited {code}:\n{output[-20000:]}")
        elif "passed" not in output:
            problems.append(f"process {index + 1} of {PROCESSES} ran nothing:\n{output[-5000:]}")
    assert not problems, "\n\n".join(problems)
