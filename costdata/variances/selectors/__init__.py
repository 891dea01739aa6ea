"""Reads for variances, one module per concern; callers import from here.

- variances: the filter, a variance with its explanations and timeline, the registries other layers
  extend them through
- queue: the variance list as a paged work queue (orders, status tabs, pages, CSV export)
- health: the procedure's dates of each variance, for programme health

Budgets and forecasts are read in costdata.planning.selectors.
"""

from costdata.variances.selectors.health import holiday_days, timeline_holidays, variance_timelines
from costdata.variances.selectors.queue import (
    DEFAULT_VARIANCE_SORT,
    VARIANCE_CSV_COLUMNS,
    VARIANCE_SORTS,
    PageWindow,
    StatusFacets,
    page_window,
    variance_csv_rows,
    variance_sort_valid,
    variance_sorted,
    variance_status_facets,
)
from costdata.variances.selectors.variances import (
    TimelineEntry,
    VarianceFilter,
    explanation_follow_ups,
    overdue_q,
    register_explanation_follow_ups,
    register_timeline_source,
    variance_detail,
    variance_list,
    variance_status_counts,
    variance_timeline,
    variances_for_meeting_decision,
)

__all__ = [
    "DEFAULT_VARIANCE_SORT",
    "PageWindow",
    "StatusFacets",
    "TimelineEntry",
    "VARIANCE_CSV_COLUMNS",
    "VARIANCE_SORTS",
    "VarianceFilter",
    "explanation_follow_ups",
    "holiday_days",
    "overdue_q",
    "page_window",
    "register_explanation_follow_ups",
    "register_timeline_source",
    "timeline_holidays",
    "variance_csv_rows",
    "variance_detail",
    "variance_list",
    "variance_sort_valid",
    "variance_sorted",
    "variance_status_counts",
    "variance_status_facets",
    "variance_timeline",
    "variance_timelines",
    "variances_for_meeting_decision",
]
