"""A database made before the audit trail and API tokens left the project package migrates forward with
every row: the tables stay, their content types follow the models (so history still points at them)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditLogEntry
from common.models import ApiToken

OLD = [("partnership", "0003_audit_append_only")]
BEFORE = [*OLD, ("audit", None), ("common", None)]  # the two apps not there yet


@pytest.mark.django_db(transaction=True)
def test_tokens_and_audit_entries_are_kept_and_their_content_types_renamed():
    user = get_user_model().objects.create_user("keeper", "keeper@example.com", "pw-keeper-123")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(OLD).apps
        types = old.get_model("contenttypes", "ContentType")
        token_type, _ = types.objects.get_or_create(app_label="partnership", model="apitoken")
        entry_type, _ = types.objects.get_or_create(app_label="partnership", model="auditlogentry")
        token = old.get_model("partnership", "ApiToken").objects.create(
            user_id=user.pk, name="BI export", prefix="abcd1234", digest="d" * 64
        )
        entry = old.get_model("partnership", "AuditLogEntry").objects.create(
            content_type_id=token_type.pk,
            object_pk=str(token.pk),
            object_id=token.pk,
            object_repr="BI export",
            action=0,
            channel="api",
        )
    finally:  # forward again whatever happened: the tests after this one need the current schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    kept = ApiToken.objects.get(pk=token.pk)
    assert (kept.user_id, kept.name, kept.digest) == (user.pk, "BI export", "d" * 64)
    logged = AuditLogEntry.objects.get(pk=entry.pk)
    assert logged.content_type_id == token_type.pk and logged.channel == "api"
    assert ContentType.objects.get(pk=token_type.pk).app_label == "common"
    assert ContentType.objects.get(pk=entry_type.pk).app_label == "audit"
    assert not ContentType.objects.filter(app_label="partnership").exists()
