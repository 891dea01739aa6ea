"""The Cost Explorer pull, end to end through the service, against botocore's Stubber."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from costdata.facts import services as facts_services
from costdata.ingestion import services
from costdata.models import CloudAccount, CostSource, DailyCost, DailyTagCost, IngestionRun
from costdata.money import as_decimal, exact_sum
from tests.costdata.conftest import TODAY, day_result, group, page, request, tag

D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
END = date(2026, 11, 4)


def facts(source: CostSource) -> list[tuple]:
    return list(
        DailyCost.objects.filter(source=source)
        .order_by("day", "account_id", "service", "currency")
        .values_list("day", "account_id", "service", "unblended", "amortized", "currency", "estimated")
    )


def pull(source: CostSource, client, start: date = D1, end: date = END) -> IngestionRun:
    return services.source_pull(
        source_id=source.pk, start=start, end=end, today=TODAY, client=client, with_insights=False
    )


def three_days(stubber, *, d3_amount: str = "5.0000000001", d3_estimated: bool = False) -> None:
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(D1, [group(["111111111111", "AWS Lambda"], "1.25")]),
                day_result(D2, [group(["111111111111", "AWS Lambda"], "2.5")]),
                day_result(D3, [group(["111111111111", "AWS Lambda"], d3_amount)], estimated=d3_estimated),
            ],
            names={"111111111111": "prod"},
        ),
        request(D1, END),
    )


def test_one_day_split_across_two_pages_is_merged_not_overwritten(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(D1, [group(["111111111111", "AWS Lambda"], "1.0000000001")]),
                day_result(D2, [group(["111111111111", "AWS Lambda"], "2.5")]),
            ],
            token="page-2",
            names={"111111111111": "prod"},
        ),
        request(D1, END),
    )
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                # The rest of D2's groups arrive on the second page.
                day_result(D2, [group(["222222222222", "Amazon Simple Storage Service"], "-0.3", "0.7")]),
                day_result(D3, [group(["111111111111", "AWS Lambda"], "3")]),
            ],
            names={"222222222222": "data"},
        ),
        request(D1, END, token="page-2"),
    )

    run = pull(aws_source, client)

    stubber.assert_no_pending_responses()
    assert run.status == IngestionRun.Status.SUCCEEDED
    assert run.requests_made == 2
    assert run.rows_written == 4
    assert facts(aws_source) == [
        (D1, "111111111111", "AWS Lambda", Decimal("1.0000000001"), Decimal("1.0000000001"), "USD", False),
        (D2, "111111111111", "AWS Lambda", Decimal("2.5"), Decimal("2.5"), "USD", False),
        # A credit is legitimate data: kept negative, as the source gave it.
        (D2, "222222222222", "Amazon Simple Storage Service", Decimal("-0.3"), Decimal("0.7"), "USD", False),
        (D3, "111111111111", "AWS Lambda", Decimal("3"), Decimal("3"), "USD", False),
    ]
    assert dict(CloudAccount.objects.values_list("account_id", "name")) == {
        "111111111111": "prod",
        "222222222222": "data",
    }


def test_stored_total_equals_the_sources_total_exactly(aws_source, stubbed):
    client, stubber = stubbed
    amounts = ["0.0000000001", "123456789.1234567891", "-0.0000000007", "0.3333333333", "99.9999999999"]
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(D1, [group([f"11111111111{i}", "Amazon EC2"], a) for i, a in enumerate(amounts)]),
            ]
        ),
        request(D1, D2),
    )

    pull(aws_source, client, D1, D2)

    stored = as_decimal(
        DailyCost.objects.filter(source=aws_source).aggregate(total=exact_sum("unblended"))["total"]
    )
    assert stored == sum(Decimal(a) for a in amounts)


def test_a_month_of_ten_place_amounts_sums_exactly_on_either_database(aws_source, stubbed):
    """Floats would drift here (0.1 has no binary form); the product's sums do not."""
    client, stubber = stubbed
    days = [date(2026, 10, d) for d in range(1, 31)]
    amounts = [f"{612 + d}.1{d:02d}0000001" for d in range(1, 31)]
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(day, [group([f"{a:012d}", "Amazon EC2"], amount) for a in range(12)])
                for day, amount in zip(days, amounts, strict=True)
            ]
        ),
        request(date(2026, 10, 1), date(2026, 10, 31)),
    )

    pull(aws_source, client, date(2026, 10, 1), date(2026, 10, 31))

    expected = 12 * sum(Decimal(a) for a in amounts)
    stored = DailyCost.objects.filter(source=aws_source).aggregate(total=exact_sum("unblended"))["total"]
    assert as_decimal(stored) == expected
    from costdata.models import MonthlyCost

    assert MonthlyCost.objects.filter(source=aws_source).aggregate(t=exact_sum("unblended"))["t"] is not None
    assert as_decimal(MonthlyCost.objects.get(source=aws_source, account_id="000000000000").unblended) == sum(
        Decimal(a) for a in amounts
    )


def test_a_restated_day_replaces_its_estimate_without_doubling(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber, d3_amount="4.1", d3_estimated=True)
    three_days(stubber, d3_amount="5.0000000001", d3_estimated=False)

    first = pull(aws_source, client)
    assert first.estimated_days == 1
    assert DailyCost.objects.get(source=aws_source, day=D3).estimated is True
    pull(aws_source, client)

    d3 = DailyCost.objects.filter(source=aws_source, day=D3)
    assert d3.count() == 1
    assert (d3.get().unblended, d3.get().estimated) == (Decimal("5.0000000001"), False)
    total = DailyCost.objects.filter(source=aws_source).aggregate(t=Sum("unblended"))["t"]
    assert total == Decimal("1.25") + Decimal("2.5") + Decimal("5.0000000001")


def test_pulling_the_same_window_twice_leaves_identical_data(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    three_days(stubber)

    pull(aws_source, client)
    once = facts(aws_source)
    pull(aws_source, client)

    assert facts(aws_source) == once
    assert len(once) == 3


def test_a_pull_replaces_only_its_own_window(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D3, [group(["111111111111", "AWS Glue"], "7")])]),
        request(D3, END),
    )

    pull(aws_source, client)
    pull(aws_source, client, D3, END)

    assert [(f[0], f[2]) for f in facts(aws_source)] == [
        (D1, "AWS Lambda"),
        (D2, "AWS Lambda"),
        (D3, "AWS Glue"),
    ]


def test_tag_queries_store_the_tag_grain_apart_with_untagged_as_empty(db, stubbed):
    client, stubber = stubbed
    source = services.source_create(name="Tagged", kind=CostSource.Kind.AWS_COST_EXPLORER, tag_keys=["team"])
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D1, [group(["111111111111", "AWS Lambda"], "3")])]),
        request(D1, D2),
    )
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(
                    D1,
                    [group(["111111111111", "team$payments"], "2"), group(["111111111111", "team$"], "1")],
                )
            ],
            second=tag("team"),
        ),
        request(D1, D2, second=tag("team")),
    )

    run = pull(source, client, D1, D2)

    assert run.requests_made == 2
    assert sorted(
        DailyTagCost.objects.filter(source=source).values_list("tag_key", "tag_value", "unblended")
    ) == [("team", "", Decimal("1")), ("team", "payments", Decimal("2"))]
    # The two grains are never added together: the service grain alone holds the total.
    assert DailyCost.objects.filter(source=source).aggregate(t=Sum("unblended"))["t"] == Decimal("3")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DataUnavailableException", "no data for this window"),
        ("BillExpirationException", "13 months"),
        ("AccessDeniedException", "Access denied"),
        ("UnrecognizedClientException", "credentials were not recognised"),
        ("ExpiredTokenException", "credentials have expired"),
    ],
)
def test_a_permanent_error_fails_the_run_with_a_clear_message_and_keeps_old_data(
    aws_source, stubbed, code, expected
):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    before = facts(aws_source)
    stubber.add_client_error("get_cost_and_usage", service_error_code=code, service_message="nope")

    with pytest.raises(services.PullFailed, match=expected):
        pull(aws_source, client)

    run = aws_source.runs.order_by("-id").first()
    assert run.status == IngestionRun.Status.FAILED
    assert expected in run.error
    assert run.requests_made == 1
    assert run.finished_at is not None
    assert facts(aws_source) == before
    aws_source.refresh_from_db()
    assert aws_source.locked_until is None, "a failed pull releases its lock"


def test_an_error_on_a_later_page_keeps_old_data_and_counts_every_request(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    before = facts(aws_source)
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D1, [group(["111111111111", "AWS Lambda"], "999")])], token="t2"),
        request(D1, END),
    )
    stubber.add_client_error("get_cost_and_usage", service_error_code="AccessDeniedException")

    with pytest.raises(services.PullFailed):
        pull(aws_source, client)

    assert facts(aws_source) == before
    assert aws_source.runs.order_by("-id").first().requests_made == 2


def test_throttling_past_botocores_retries_fails_the_run_as_retryable(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_client_error(
        "get_cost_and_usage", service_error_code="LimitExceededException", http_status_code=400
    )

    with pytest.raises(services.PullThrottled):
        pull(aws_source, client)

    run = aws_source.runs.get()
    assert run.status == IngestionRun.Status.FAILED
    assert "will be retried" in run.error


def test_a_changed_request_restarts_the_window_once(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D1, [group(["111111111111", "AWS Lambda"], "1.25")])], token="stale"),
        request(D1, END),
    )
    stubber.add_client_error("get_cost_and_usage", service_error_code="RequestChangedException")
    three_days(stubber)

    run = pull(aws_source, client)

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert run.requests_made == 3
    assert len(facts(aws_source)) == 3


def test_an_invalid_token_twice_fails_the_run(aws_source, stubbed):
    client, stubber = stubbed
    for _ in range(2):
        stubber.add_response(
            "get_cost_and_usage",
            page([day_result(D1, [group(["111111111111", "AWS Lambda"], "1")])], token="bad"),
            request(D1, END),
        )
        stubber.add_client_error("get_cost_and_usage", service_error_code="InvalidNextTokenException")

    with pytest.raises(services.PullFailed, match="InvalidNextTokenException"):
        pull(aws_source, client)
    assert aws_source.runs.get().requests_made == 4


def test_a_crash_while_writing_the_window_leaves_the_old_data(aws_source, stubbed, monkeypatch):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    before = facts(aws_source)
    three_days(stubber, d3_amount="77")

    def crash(**kwargs):
        # Runs after the window's old rows were deleted and the new ones inserted.
        raise RuntimeError("worker killed mid-write")

    monkeypatch.setattr(facts_services, "accounts_upsert", crash)
    with pytest.raises(services.PullFailed, match="worker killed mid-write"):
        pull(aws_source, client)

    assert facts(aws_source) == before
    assert aws_source.runs.order_by("-id").first().status == IngestionRun.Status.FAILED


def test_rows_outside_the_requested_window_are_refused(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D3, [group(["111111111111", "AWS Lambda"], "1")])]),
        request(D1, D2),
    )

    with pytest.raises(services.PullFailed, match="outside the window"):
        pull(aws_source, client, D1, D2)
    assert not DailyCost.objects.exists()


def test_a_backfill_older_than_cost_explorer_keeps_is_refused_before_any_request(aws_source, stubbed):
    client, _ = stubbed
    with pytest.raises(services.PullFailed, match="older than Cost Explorer keeps"):
        pull(aws_source, client, date(2025, 1, 1), date(2025, 2, 1))
    run = aws_source.runs.get()
    assert (run.status, run.requests_made) == (IngestionRun.Status.FAILED, 0)


# --- the lock ------------------------------------------------------------------------------------
class PullsAgainFirst:
    """A client that, on its first request, starts a second pull of the same source (as a second worker)."""

    def __init__(self, client, source: CostSource) -> None:
        self.client, self.source = client, source
        self.second: Exception | None = None

    def get_cost_and_usage(self, **params):
        if self.second is None:
            try:
                pull(self.source, self.client)
            except services.SourceBusy as exc:
                self.second = exc
        return self.client.get_cost_and_usage(**params)


def test_two_pulls_at_once_one_runs_the_other_is_skipped_saying_why(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    racing = PullsAgainFirst(client, aws_source)

    run = pull(aws_source, racing)

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert isinstance(racing.second, services.SourceBusy)
    skipped = aws_source.runs.get(status=IngestionRun.Status.SKIPPED)
    assert "Another pull of this source is running" in skipped.error
    assert skipped.requests_made == 0


def test_a_lock_left_by_a_dead_worker_is_taken_over_once_it_expires(aws_source, stubbed, settings):
    from django.utils import timezone

    client, stubber = stubbed
    dead = IngestionRun.objects.create(source=aws_source, task_id="task-a")
    CostSource.objects.filter(pk=aws_source.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1), locked_by_run=dead
    )
    three_days(stubber)

    run = pull(aws_source, client)

    assert run.status == IngestionRun.Status.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == IngestionRun.Status.FAILED
    assert "stopped before it finished" in dead.error


def test_a_live_lock_blocks_another_task_but_not_the_redelivered_same_task(aws_source, stubbed):
    from django.utils import timezone

    client, stubber = stubbed
    holder = IngestionRun.objects.create(source=aws_source, task_id="task-a")
    CostSource.objects.filter(pk=aws_source.pk).update(
        locked_until=timezone.now() + timedelta(hours=1), locked_by_run=holder
    )
    with pytest.raises(services.SourceBusy):
        services.source_pull(
            source_id=aws_source.pk,
            start=D1,
            end=END,
            today=TODAY,
            client=client,
            task_id="task-b",
            with_insights=False,
        )
    three_days(stubber)

    run = services.source_pull(
        source_id=aws_source.pk,
        start=D1,
        end=END,
        today=TODAY,
        client=client,
        task_id="task-a",
        with_insights=False,
    )

    assert run.status == IngestionRun.Status.SUCCEEDED
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None


def test_names_with_commas_quotes_and_newlines_and_exponent_amounts_are_stored_exactly(aws_source, stubbed):
    """The pull spools CSV for COPY: an awkward service name must come back as it went in."""
    client, stubber = stubbed
    awkward = 'Amazon "Simple", Storage\nService \\ (S3)'
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D1, [group(["111111111111", awkward], "1.5E-7", "0.1000000001")])]),
        request(D1, D2),
    )

    pull(aws_source, client, D1, D2)

    assert facts(aws_source) == [
        (D1, "111111111111", awkward, Decimal("0.00000015"), Decimal("0.1000000001"), "USD", False)
    ]
