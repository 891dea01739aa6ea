"""Fixtures for the outbox: a mail server that refuses, and the retry delays the task asked for."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend


@pytest.fixture
def smtp_down(monkeypatch) -> list[int]:
    """Every send fails as a mail server that hung up would; the list counts the attempts that reached it."""
    calls: list[int] = []

    def refuse(self, messages):
        calls.append(len(messages))
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return calls


@pytest.fixture
def retry_delays(monkeypatch) -> list[float]:
    """The countdown of every retry the deliver task schedules (eager retries run at once)."""
    from outbox.tasks import deliver

    task_class = type(deliver._get_current_object())
    original = task_class.retry
    delays: list[float] = []

    def retry(self, *args, **kwargs):
        delays.append(kwargs.get("countdown"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(task_class, "retry", retry)
    return delays
