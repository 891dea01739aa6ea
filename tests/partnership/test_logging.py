"""One line per event, no secrets, the request id on web lines and the task id on worker lines."""

from __future__ import annotations

import io
import logging

import pytest

from common.logging import ContextFilter, OneLineFormatter, redact

FORMAT = "%(levelname)s %(name)s request_id=%(request_id)s task_id=%(task_id)s %(message)s"


@pytest.fixture
def captured():
    """The product's own handler configuration (filter + formatter) writing to a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(ContextFilter())
    handler.setFormatter(OneLineFormatter(FORMAT))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous_level)


@pytest.mark.django_db
def test_each_request_line_carries_the_request_id_it_returns(client, captured, django_user_model):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    request_lines = [line for line in captured.getvalue().splitlines() if "partnership.request" in line]
    assert request_lines, "the request was logged"
    assert all("request_id=abc-123" in line for line in request_lines)


@pytest.mark.django_db
def test_an_unsafe_incoming_request_id_is_replaced(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_worker_lines_carry_the_task_id(captured):
    from costdata.ingestion.services import source_create
    from costdata.models import CostSource
    from costdata.tasks import pull_source

    source = source_create(name="Logged demo", kind=CostSource.Kind.DEMO)
    result = pull_source.apply(args=[source.pk], task_id="task-42")
    assert result.successful()
    pull_lines = [line for line in captured.getvalue().splitlines() if "costdata.ingestion.services" in line]
    assert pull_lines and all("task_id=task-42" in line for line in pull_lines)


def test_a_traceback_is_folded_into_one_line(captured):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("tests").exception("it failed")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    assert "it failed" in lines[0] and "RuntimeError: boom" in lines[0]


@pytest.mark.parametrize(
    "message",
    [
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "{'SecretAccessKey': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'}",
        "{'SessionToken': 'IQoJb3JpZ2luX2VjEXAMPLETOKEN'}",
        "connecting to postgres://app:hunter2-EXAMPLE@db:5432/app",
        "password=hunter2-EXAMPLE",
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    ],
)
def test_secrets_never_reach_the_log(captured, message):
    logging.getLogger("tests").warning(message)
    line = captured.getvalue()
    for secret in ("wJalrXUtnFEMI", "IQoJb3JpZ2lu", "hunter2", "9944b09199c6"):
        assert secret not in line
    assert "***" in line


def test_redact_leaves_ordinary_text_alone():
    text = "pulled Demo 2026-11-01..2026-11-27: 1404 rows, 7 requests"
    assert redact(text) == text
