"""The variance list as a paged work queue: its orders, the status tabs' counts, page arithmetic and
the CSV export of everything the filters leave."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, OrderBy, Q, QuerySet, Value, When
from django.db.models.functions import Abs
from django.utils import timezone

from costdata.planning.spreadsheets import csv_cell
from costdata.variances.models import Variance
from costdata.variances.selectors.variances import overdue_q

# The orders the list offers (`?sort=`): a name, or the name with a leading "-" for the other direction.
# "queue" (the default) is the work queue's order and has no reverse.
VARIANCE_SORTS: dict[str, str] = {
    "queue": "Work queue: overdue first, then by due date",
    "due": "Due date",
    "month": "Month",
    "amount": "Size of the difference",
    "status": "Stage of the procedure",
}
DEFAULT_VARIANCE_SORT = "queue"

# The procedure's order, for sorting by status (alphabetical order would put "accepted" first).
_STATUS_ORDER = [
    Variance.Status.OPEN,
    Variance.Status.ASSIGNED,
    Variance.Status.EXPLAINED,
    Variance.Status.ACCEPTED,
    Variance.Status.CLOSED,
]
_DONE = (Variance.Status.ACCEPTED, Variance.Status.CLOSED)


def variance_sort_valid(sort: str) -> bool:
    name = sort.removeprefix("-")
    return name in VARIANCE_SORTS and not (sort.startswith("-") and name == DEFAULT_VARIANCE_SORT)


def variance_sorted(
    queryset: QuerySet[Variance], *, sort: str, now: datetime | None = None
) -> QuerySet[Variance]:
    """The variances in the order `sort` names (see VARIANCE_SORTS); every order ends with the primary
    key, so pages never overlap or skip a row. Variances without a due date come last either way.

    The work queue ("queue"): overdue first, then those still in the procedure (open, assigned,
    explained), then the finished ones (accepted, closed); within each, the earliest due date first,
    then the newest month."""
    if not variance_sort_valid(sort):
        raise ValueError(f"Unknown order {sort!r}.")
    now = timezone.now() if now is None else now
    descending = sort.startswith("-")
    name = sort.removeprefix("-")

    def by(field: str) -> OrderBy:
        return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)

    due_last = F("due_at").asc(nulls_last=True)
    if name == "queue":
        queryset = queryset.annotate(
            queue_rank=Case(
                When(overdue_q(now=now), then=Value(0)),
                When(status__in=_DONE, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        return queryset.order_by("queue_rank", due_last, "-month", "pk")
    if name == "due":
        return queryset.order_by(by("due_at"), "-month", "pk")
    if name == "month":
        return queryset.order_by(by("month"), due_last, "pk")
    if name == "amount":
        return queryset.annotate(size=Abs("difference")).order_by(by("size"), due_last, "pk")
    # status
    queryset = queryset.annotate(
        stage=Case(
            *(When(status=status, then=Value(index)) for index, status in enumerate(_STATUS_ORDER)),
            default=Value(len(_STATUS_ORDER)),
            output_field=IntegerField(),
        )
    )
    return queryset.order_by(by("stage"), due_last, "-month", "pk")


@dataclass(frozen=True)
class StatusFacets:
    """How many variances each status tab holds, and how many are overdue, under the other filters."""

    counts: dict[str, int]
    overdue: int
    total: int

    def total_for(self, statuses: list[str] | tuple[str, ...] | None) -> int:
        """The number of variances a status filter leaves (all of them when none is chosen)."""
        if not statuses:
            return self.total
        return sum(self.counts.get(status, 0) for status in set(statuses))


def variance_status_facets(queryset: QuerySet[Variance], *, now: datetime | None = None) -> StatusFacets:
    """Counts per status, overdue and in all, in one aggregate query over `queryset` (the viewer's
    visible variances under every filter but the status: the numbers on the tabs a user clicks)."""
    now = timezone.now() if now is None else now
    aggregates = {f"n_{status}": Count("pk", filter=Q(status=status)) for status in Variance.Status.values}
    row = queryset.order_by().aggregate(
        **aggregates, n_overdue=Count("pk", filter=overdue_q(now=now)), n_total=Count("pk")
    )
    return StatusFacets(
        counts={status: row[f"n_{status}"] or 0 for status in Variance.Status.values},
        overdue=row["n_overdue"] or 0,
        total=row["n_total"] or 0,
    )


@dataclass(frozen=True)
class PageWindow:
    """One numbered page of a list of `total` rows, `size` a page (pure arithmetic, no queries)."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """1-based position of the page's first row (0 when the list is empty)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def numbers(self, *, around: int = 2) -> list[int | None]:
        """Page numbers to offer: the first, the last and `around` either side of this one; None
        marks a gap."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        result: list[int | None] = []
        for n in shown:
            previous = result[-1] if result else None
            if previous is not None and n - previous > 1:
                result.append(None)
            result.append(n)
        return result


def page_window(*, total: int, page: int, size: int) -> PageWindow:
    """The page `page` of `total` rows; a page past the end is the last page (lists shrink as
    variances close, and a shared link to page 4 should still show the end of the list)."""
    if size < 1 or page < 1:
        raise ValueError("page and size start at 1.")
    pages = max(1, -(-total // size))
    return PageWindow(number=min(page, pages), size=size, total=total)


VARIANCE_CSV_COLUMNS = [
    "id",
    "link",
    "kind",
    "scope_type",
    "scope_value",
    "month",
    "day",
    "currency",
    *Variance.FIGURE_FIELDS,
    "status",
    "overdue",
    "owner_team",
    "assignee",
    "escalated_to",
    "due_day",
    "detected_at",
    "last_detected_at",
    "figures_final",
]


def _money(value: Decimal | None) -> Decimal | None:
    """Money for a spreadsheet: at least cents, no trailing zeros beyond them (stored with 12 places)."""
    if value is None:
        return None
    normalised = value.normalize()
    exponent = normalised.as_tuple().exponent
    return value.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent >= -2 else normalised


def _figure(name: str, value: Decimal | None) -> Decimal | None:
    if name == "percent":
        return None if value is None else value.normalize()
    return _money(value)


def variance_csv_rows(
    queryset: QuerySet[Variance], *, link: Callable[[Variance], str], chunk_size: int = 1000
) -> Iterator[list[str]]:
    """The header and one row per variance of `queryset` (already filtered, visible and sorted), as
    spreadsheet-safe cells (costdata.planning.spreadsheets.csv_cell). Months are YYYY-MM, money plain digits,
    times ISO 8601 in the organisation's time zone. `link(variance)` gives the variance page's URL.
    Rows are read in chunks, so a long list never sits in memory whole."""
    yield list(VARIANCE_CSV_COLUMNS)
    rows = queryset.select_related("owner_team", "assignee", "escalated_to")
    for v in rows.iterator(chunk_size=chunk_size):
        values = [
            v.pk,
            link(v),
            v.kind,
            v.scope_type,
            v.scope_value,
            f"{v.month:%Y-%m}",
            v.day,
            v.currency,
            *(_figure(name, getattr(v, name)) for name in Variance.FIGURE_FIELDS),
            v.status,
            v.is_overdue,
            v.owner_team.name if v.owner_team else None,
            v.assignee.name if v.assignee else None,
            v.escalated_to.name if v.escalated_to else None,
            v.due_day,
            timezone.localtime(v.detected_at),
            timezone.localtime(v.last_detected_at),
            v.figures_final,
        ]
        yield [csv_cell(value) for value in values]
