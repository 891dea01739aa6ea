"""A pull from the command line against an endpoint set by AWS_ENDPOINT_URL_COST_EXPLORER.

A tiny HTTP server on 127.0.0.1 speaks Cost Explorer's JSON 1.1 protocol (X-Amz-Target
AWSInsightsIndexService.GetCostAndUsage) and answers with the demo source's pages. manage.py runs as a
subprocess on its own Postgres database, with dummy credentials in its environment: boto3's standard chain,
real signing, real HTTP, botocore's own retries, the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg2
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from costdata.ingestion.demo_source import DemoCostExplorer

ROOT = Path(__file__).resolve().parents[3]
TARGET_PREFIX = "AWSInsightsIndexService."
OPERATIONS = {
    "GetCostAndUsage",
    "GetCostForecast",
    "GetSavingsPlansCoverage",
    "GetSavingsPlansUtilization",
    "GetReservationCoverage",
    "GetReservationUtilization",
}


class FakeCostExplorer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.demo = DemoCostExplorer(today=date.today())
        self.calls: list[dict] = []
        self.fail_next: list[str] = []  # error codes to answer before serving, one per request
        self.expected_key = "AKIDTESTING"  # the access key id Cost Explorer calls must be signed with
        # The external id the role's trust policy requires: AssumeRole without it is AccessDenied.
        self.trusted_external_id = "partnership-ext-7"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeCostExplorer

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return self.assume_role(dict(parse_qsl(raw.decode())))
        body = json.loads(raw or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        self.server.calls.append(
            {"target": target, "authorization": self.headers.get("Authorization", ""), "body": body}
        )
        if not self.headers.get("Authorization", "").startswith(
            f"AWS4-HMAC-SHA256 Credential={self.server.expected_key}/"
        ):
            return self.reply(400, {"__type": "UnrecognizedClientException", "message": "bad signature"})
        if self.server.fail_next:
            code = self.server.fail_next.pop(0)
            return self.reply(400, {"__type": code, "message": f"{code} from the test server"})
        operation = target.removeprefix(TARGET_PREFIX)
        if not target.startswith(TARGET_PREFIX) or operation not in OPERATIONS:
            return self.reply(400, {"__type": "UnknownOperationException", "message": target})
        try:
            answer = getattr(self.server.demo, xform_name(operation))(**body)
        except ClientError as exc:
            error = exc.response["Error"]
            return self.reply(400, {"__type": error["Code"], "message": error["Message"]})
        answer.pop("ResponseMetadata", None)
        self.reply(200, answer)

    def assume_role(self, form: dict[str, str]) -> None:
        """STS AssumeRole (query protocol, XML): temporary credentials the CE calls must then use."""
        self.server.calls.append(
            {
                "target": "STS." + form.get("Action", ""),
                "authorization": self.headers.get("Authorization", ""),
                "body": form,
            }
        )
        if form.get("ExternalId") != self.server.trusted_external_id:
            # What STS answers when the trust policy's sts:ExternalId condition does not match.
            error = f"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/partnership-reader is not authorized to perform: sts:AssumeRole on resource: {form["RoleArn"]}</Message></Error>
  <RequestId>test-request</RequestId>
</ErrorResponse>""".encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(error)))
            self.end_headers()
            self.wfile.write(error)
            return
        xml = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>{form["RoleArn"]}/{form["RoleSessionName"]}</Arn><AssumedRoleId>AROATEST:{form["RoleSessionName"]}</AssumedRoleId></AssumedRoleUser>
    <Credentials><AccessKeyId>ASIATEMPORARY</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey><SessionToken>session-token-1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>test-request</RequestId></ResponseMetadata>
</AssumeRoleResponse>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)

    def reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "test-request")
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def endpoint() -> Iterator[FakeCostExplorer]:
    server = FakeCostExplorer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Install:
    """An installation: its manage.py, its database, its VAR_DIR, and every command's output so far."""

    manage: Callable[..., subprocess.CompletedProcess]
    database: str  # its URL
    var_dir: Path
    outputs: list[subprocess.CompletedProcess] = field(default_factory=list)


class Database:
    """An installation's database, read as the tests below read it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str) -> Any:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        return cursor


@contextmanager
def connect(url: str) -> Iterator[Database]:
    connection = psycopg2.connect(url)
    try:
        yield Database(connection)
    finally:
        connection.close()


@pytest.fixture
def database_url() -> Iterator[str]:
    """A database of its own on the test run's Postgres server (DATABASE_URL), dropped afterwards."""
    server = os.environ["DATABASE_URL"]
    name = f"endpoint_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def install(tmp_path: Path, endpoint: FakeCostExplorer, database_url: str) -> Install:
    """An installation of the product on its own Postgres database, pointed at the endpoint, logging
    at DEBUG so any secret a log line might carry would show in the output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DATABASE_URL", "CELERY_", "REDIS_URL", "LOG_LEVEL"))
    }
    env.update(
        DATABASE_URL=database_url,
        VAR_DIR=str(tmp_path / "var"),
        LOG_LEVEL="DEBUG",
        AWS_ENDPOINT_URL_COST_EXPLORER=endpoint.url,
        AWS_ENDPOINT_URL_STS=endpoint.url,
        AWS_ACCESS_KEY_ID="AKIDTESTING",
        AWS_SECRET_ACCESS_KEY="testing-secret",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    outputs: list[subprocess.CompletedProcess] = []

    def manage(*args: str, unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={key: value for key, value in env.items() if key not in unset},
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs.append(done)
        return done

    migrated = manage("migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    added = manage("add_source", "--name", "Payer", "--kind", "aws_cost_explorer", "--tag-keys", "team")
    assert added.returncode == 0, added.stderr
    return Install(manage, database_url, tmp_path / "var", outputs)


def demo_total(server: FakeCostExplorer, start: date, end: date) -> Decimal:
    demo = DemoCostExplorer(today=date.today())
    total, token = Decimal(0), None
    request = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    while True:
        page = demo.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        total += sum(
            Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
            for r in page["ResultsByTime"]
            for g in r["Groups"]
        )
        token = page.get("NextPageToken")
        if not token:
            return total


def test_pull_costs_reads_the_endpoint_from_the_environment(install, endpoint):
    manage, database = install.manage, install.database
    end = date.today()
    start = end - timedelta(days=20)
    # The first request is throttled: botocore's adaptive retry answers it, the pull never sees it.
    endpoint.fail_next = ["LimitExceededException"]

    pulled = manage("pull_costs", "--source", "Payer", "--start", start.isoformat(), "--end", end.isoformat())

    assert pulled.returncode == 0, pulled.stderr
    assert "100%" in pulled.stderr
    targets = {call["target"].removeprefix(TARGET_PREFIX) for call in endpoint.calls}
    assert targets == OPERATIONS, "costs by page, then the month's forecast and commitments"
    assert any(call["body"].get("NextPageToken") for call in endpoint.calls), "pages were followed"
    assert any(call["body"]["GroupBy"][1] == {"Type": "TAG", "Key": "team"} for call in endpoint.calls)
    with connect(database) as db:
        status, requests, rows, notes = db.execute(
            "select status, requests_made, rows_written, notes from costdata_ingestionrun"
        ).fetchone()
        forecasts = db.execute("select count(*) from costdata_costforecast").fetchone()[0]
        commitments = db.execute("select count(*) from costdata_commitmentmetric").fetchone()[0]
        amounts = [Decimal(str(v)) for (v,) in db.execute("select unblended from costdata_dailycost")]
        untagged = db.execute("select count(*) from costdata_dailytagcost where tag_value = ''").fetchone()[0]
    assert status == "succeeded" and notes == ""
    assert (forecasts, commitments) == (1, 2)
    assert requests == len(endpoint.calls) - 1, "the throttled attempt was retried by botocore"
    assert rows > 0 and untagged > 0
    assert sum(amounts) == demo_total(endpoint, start, end), "stored exactly, to the last digit"
    assert f"{rows} rows" in pulled.stdout


def test_bad_credentials_fail_the_pull_with_a_clear_message(install, endpoint):
    manage, database = install.manage, install.database
    endpoint.fail_next = ["UnrecognizedClientException"]
    end = date.today()

    pulled = manage(
        "pull_costs",
        "--source",
        "Payer",
        "--start",
        (end - timedelta(days=2)).isoformat(),
        "--end",
        end.isoformat(),
    )

    assert pulled.returncode != 0
    assert "The AWS credentials were not recognised" in pulled.stderr
    with connect(database) as db:
        status, error = db.execute("select status, error from costdata_ingestionrun").fetchone()
    assert status == "failed" and "not recognised" in error


def test_a_source_with_a_role_reads_through_sts_assume_role(install, endpoint):
    manage, database = install.manage, install.database
    added = manage(
        "add_source",
        "--name",
        "Payer via role",
        "--kind",
        "aws_cost_explorer",
        "--role-arn",
        "arn:aws:iam::123456789012:role/CostExplorerReader",
        "--external-id",
        "partnership-ext-7",
    )
    assert added.returncode == 0, added.stderr
    endpoint.expected_key = "ASIATEMPORARY"
    end = date.today()

    pulled = manage(
        "pull_costs",
        "--source",
        "Payer via role",
        "--start",
        (end - timedelta(days=3)).isoformat(),
        "--end",
        end.isoformat(),
    )

    assert pulled.returncode == 0, pulled.stderr
    sts = [call for call in endpoint.calls if call["target"] == "STS.AssumeRole"]
    assert len(sts) == 1
    assert sts[0]["body"]["RoleArn"] == "arn:aws:iam::123456789012:role/CostExplorerReader"
    assert sts[0]["body"]["ExternalId"] == "partnership-ext-7"
    assert sts[0]["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTESTING/")
    ce_calls = [call for call in endpoint.calls if call["target"].startswith(TARGET_PREFIX)]
    assert ce_calls and all(
        c["authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIATEMPORARY/") for c in ce_calls
    )
    with connect(database) as db:
        stored = " ".join(str(v) for row in db.execute("select * from costdata_costsource") for v in row)
        runs = " ".join(str(v) for row in db.execute("select * from costdata_ingestionrun") for v in row)
    assert "temporary-secret" not in stored + runs and "testing-secret" not in stored + runs, (
        "no secret is stored"
    )


ROLE_ARN = "arn:aws:iam::123456789012:role/CostExplorerReader"
# Every secret the installation ever handles: the environment's secret key, and the temporary
# credentials STS hands out for the role (the session token is as good as a key while it lasts).
SECRETS = ("testing-secret", "temporary-secret", "session-token-1")


def add_role_source(manage, name: str, external_id: str) -> None:
    added = manage(
        "add_source",
        "--name",
        name,
        "--kind",
        "aws_cost_explorer",
        "--role-arn",
        ROLE_ARN,
        "--external-id",
        external_id,
    )
    assert added.returncode == 0, added.stderr


def pull(manage, name: str, days: int = 3, **options) -> subprocess.CompletedProcess:
    end = date.today()
    return manage(
        "pull_costs",
        "--source",
        name,
        "--start",
        (end - timedelta(days=days)).isoformat(),
        "--end",
        end.isoformat(),
        **options,
    )


def test_sts_refusing_the_role_fails_the_pull_naming_the_role_and_what_to_check(install, endpoint):
    manage, database = install.manage, install.database
    add_role_source(manage, "Payer via role", "not-the-agreed-id")

    pulled = pull(manage, "Payer via role")

    assert pulled.returncode == 1
    assert [call["target"] for call in endpoint.calls] == ["STS.AssumeRole"], (
        "no Cost Explorer call without the role"
    )
    with connect(database) as db:
        status, error = db.execute("select status, error from costdata_ingestionrun").fetchone()
    assert status == "failed"
    assert error.startswith(
        "STS refused to let the credentials of arn:aws:iam::123456789012:user/partnership-reader assume "
        f"the role {ROLE_ARN} (AccessDenied): either the source's external id is not the one the role's "
        "trust policy requires, or the trust policy does not trust these credentials."
    )
    assert " ".join(error.split()) in " ".join(pulled.stderr.split()), "the command says the same"
    assert not any(secret in error + pulled.stderr for secret in SECRETS)
    assert "not-the-agreed-id" not in error


def test_a_pull_without_any_credentials_fails_saying_none_were_found(install, endpoint):
    manage, database = install.manage, install.database

    pulled = pull(manage, "Payer", unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))

    assert pulled.returncode == 1
    assert endpoint.calls == [], "nothing is sent unsigned"
    message = "No AWS credentials found: set them through the environment, a profile or an instance role."
    assert message in pulled.stderr
    with connect(database) as db:
        status, error = db.execute("select status, error from costdata_ingestionrun").fetchone()
    assert (status, error) == ("failed", message)


def test_no_secret_reaches_any_output_log_line_table_or_file(install, endpoint):
    manage = install.manage
    add_role_source(manage, "Payer via role", "partnership-ext-7")
    add_role_source(manage, "Payer, wrong id", "not-the-agreed-id")
    # Every path that touches credentials: the environment's keys, a role's temporary ones, STS
    # refusing, Cost Explorer refusing, and no credentials at all; each logged at DEBUG.
    assert pull(manage, "Payer", days=5).returncode == 0
    endpoint.expected_key = "ASIATEMPORARY"
    assert pull(manage, "Payer via role", days=5).returncode == 0
    assert pull(manage, "Payer, wrong id").returncode == 1
    endpoint.fail_next = ["UnrecognizedClientException"]
    assert pull(manage, "Payer via role").returncode == 1
    assert pull(manage, "Payer", unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")).returncode == 1
    assert len(install.outputs) == 2 + 2 + 5
    sts = [call for call in endpoint.calls if call["target"] == "STS.AssumeRole"]
    assert len(sts) == 3, "the role's temporary credentials were handed out and used"

    # The output and log lines of every command (the log goes to stderr), at DEBUG.
    logged = "\n".join(done.stdout + done.stderr for done in install.outputs)
    assert " DEBUG " in logged and " WARNING costdata.ingestion.services.pull " in logged, (
        "the commands logged at DEBUG, the failed pulls' warnings included"
    )
    # Every table of the database, the audit log and django-celery-beat's schedules included.
    with connect(install.database) as db:
        tables = [
            name
            for (name,) in db.execute(
                "select table_name from information_schema.tables where table_schema = 'public'"
            )
        ]
        rows = {table: db.execute(f'select * from "{table}"').fetchall() for table in tables}
    assert {"partnership_auditlogentry", "django_celery_beat_periodictask", "costdata_ingestionrun"} <= set(
        rows
    )
    assert rows["partnership_auditlogentry"] and rows["django_celery_beat_periodictask"]
    stored = "\n".join(
        " ".join(
            bytes(value).decode(errors="replace") if isinstance(value, bytes | memoryview) else str(value)
            for value in row
        )
        for table_rows in rows.values()
        for row in table_rows
    )
    assert ROLE_ARN in stored and "STS refused" in stored, "what is no secret is stored"
    # Every file the installation wrote (its cache, any log).
    written = b"\n".join(path.read_bytes() for path in install.var_dir.rglob("*") if path.is_file())
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} in a command's output or log"
        assert secret not in stored, f"{secret!r} in the database"
        assert secret.encode() not in written, f"{secret!r} in a file under VAR_DIR"
