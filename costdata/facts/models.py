"""The cost facts a pull or import loads, and their rollups.

Two fact tables keep the two Cost Explorer queries apart so that they can never be added together:
DailyCost is the (day, account, service) grain, DailyTagCost the (day, account, tag key, tag value)
grain. Summing either one for a window gives the source's total for that window exactly. The rollups
(MonthlyCost, DailyAccountCost, DailyServiceCost) are DailyCost summed to a coarser grain, rebuilt in
the transaction that changes the facts (costdata.facts.rollups), so they always equal it exactly.
"""

from __future__ import annotations

from django.db import models

from costdata.ingestion.models import CostSource
from costdata.money import money_field

# The fact tables' link to their source is not a database foreign key: checking one per loaded row
# costs about 4 s of Postgres CPU per million rows (see bench/README.md). The same guarantee is kept for
# their only writers: a window replace takes FOR KEY SHARE on the source row before it writes
# (costdata.facts.services.source_lock_for_facts), and deleting a source first locks that row FOR
# UPDATE (costdata.signals), so one of the two waits for the other: a pull never commits facts for a
# deleted source, and Django's cascade deletes every fact of a source it deletes. Both fact tables'
# `source` is declared so: no constraint, and no index of its own (the unique keys lead with it or the day).


class DailyCost(models.Model):
    source = models.ForeignKey(
        CostSource, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    service = models.CharField(max_length=255)
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False)

    class Meta:
        # Every index is paid for on each of a pull's rows (a million-row window: about a second of
        # COPY each), so the fact table keeps only what its reads use. The unique constraint leads with
        # the day: it serves the day-range reads of the API and the dashboards across sources (account
        # and service filters are checked inside the index), the window replace (source and days) and
        # the rollup rebuild. Whole months read MonthlyCost instead. The partial index finds a source's
        # estimated days (freshness, the refresh window) without reading its final ones.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "account_id", "service", "currency"],
                name="uniq_daily_cost",
            )
        ]
        indexes = [
            models.Index(
                fields=["source", "day"], condition=models.Q(estimated=True), name="dailycost_estimated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.service} {self.unblended} {self.currency}"


class DailyTagCost(models.Model):
    source = models.ForeignKey(
        CostSource, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256, blank=True, help_text="Empty means untagged.")
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "day", "provider", "account_id", "tag_key", "tag_value", "currency"],
                name="uniq_daily_tag_cost",
            )
        ]
        # Tag reads ask for one tag key over a day range: (tag_key, day) bounds both.
        indexes = [models.Index(fields=["tag_key", "day"], name="dailytagcost_key_day_idx")]

    def __str__(self) -> str:
        return (
            f"{self.day} {self.account_id} {self.tag_key}={self.tag_value} {self.unblended} {self.currency}"
        )


class CostRollup(models.Model):
    """What every rollup of DailyCost holds beside its grain's keys: the source, the provider, the sums
    and whether any summed row is still estimated."""

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=50, default="AWS")
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False, help_text="True if any of the day's rows is estimated.")

    class Meta:
        abstract = True


class MonthlyCost(CostRollup):
    """DailyCost rolled up by month, rebuilt for the months a pull or import touched, in its transaction.

    A 13-month page reads ~13 rows per (account, service) here instead of ~400 daily rows.
    """

    month = models.DateField(help_text="The first of the month.")
    account_id = models.CharField(max_length=100)
    service = models.CharField(max_length=255)
    estimated = models.BooleanField(default=False, help_text="True if any day in the month is estimated.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "month", "provider", "account_id", "service", "currency"],
                name="uniq_monthly_cost",
            )
        ]
        indexes = [
            models.Index(fields=["month", "account_id"]),
            models.Index(fields=["month", "service"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account_id} {self.service} {self.unblended} {self.currency}"


class DailyAccountCost(CostRollup):
    """DailyCost rolled up to the (source, day, account, currency) grain, for the dashboards' daily reads.

    Rebuilt for the days a pull or import touched, in its transaction (costdata.facts.rollups.
    daily_rollup_rebuild), so it always equals the facts exactly. 90 days of 300 accounts are 27,000
    rows here instead of 1.2 million facts.
    """

    day = models.DateField()
    account_id = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "account_id", "currency"], name="uniq_daily_account_cost"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.unblended} {self.currency}"


class DailyServiceCost(CostRollup):
    """DailyCost rolled up to the (source, day, service, currency) grain: the daily reads by service
    (top movers by service over part of a month). Rebuilt with DailyAccountCost, in the same statement."""

    day = models.DateField()
    service = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "service", "currency"], name="uniq_daily_service_cost"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service} {self.unblended} {self.currency}"
