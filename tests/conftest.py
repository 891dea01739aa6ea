"""Shared fixtures. `make test` runs the suite against real Postgres and Redis (scripts/with-services.sh)."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_TEST_PASSWORD = "correct-horse-battery-staple-42"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise pytest.UsageError("CI runs the suite through `make test`, which provides Postgres and Redis.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(reason="needs the Redis that `make test` starts (REDIS_URL)")
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashing is deliberately slow; tests log in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login and API throttles count in the shared cache, dashboards keep aggregates per data version
    (costdata.facts.data_cache; a rolled-back test can leave the next one the same version): each test starts
    from nothing."""
    from django.core.cache import cache

    from costdata.facts import data_cache

    cache.clear()
    data_cache.clear_local()
    yield


@pytest.fixture
def demo_organisation(db, settings):
    """The demo organisation as `make run` creates it, with a known password."""
    from partnership.demo import demo_organisation_seed

    settings.DEMO_PASSWORD = DEMO_TEST_PASSWORD
    return demo_organisation_seed()


@pytest.fixture(autouse=True)
def _outbox_delivers_in_process(request, monkeypatch):
    """Outbound e-mail (the `outbox.deliver` task) runs eagerly, in this process, when its transaction
    commits, so `mail.outbox` holds what a worker would send; every other task still goes to the broker.
    Tests marked `worker` keep the real path."""
    if "worker" in request.keywords:
        return
    from outbox.tasks import deliver

    def run_here(self, args=None, kwargs=None, **options):
        return self.apply(args, kwargs, **options)

    monkeypatch.setattr(type(deliver._get_current_object()), "apply_async", run_here)


@pytest.fixture
def no_dashboard_providers():
    """The dashboards alone, as if no app had plugged budgets or panels in (costdata registers both;
    meetings adds the programme health panel)."""
    from costdata.dashboards import registries

    budgets, panels = list(registries._budget_providers), dict(registries._panel_providers)
    registries._budget_providers.clear()
    registries._panel_providers.clear()
    yield
    registries._budget_providers[:] = budgets
    registries._panel_providers.clear()
    registries._panel_providers.update(panels)
