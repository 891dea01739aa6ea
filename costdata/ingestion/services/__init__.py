"""Writes for cost data. One module per concern; import from here.

- sources: adding a source, its schedule, queueing a manual pull
- pull: the Cost Explorer pull (lease, window, pages, run record)
- facts: the fact tables (spooled rows, the all-or-nothing window replace, rollups)
- focus: FOCUS file import
- commitments: month forecast, Savings Plans and Reserved Instance coverage and utilisation
- errors: what each failure means for a run
"""

from costdata.commitments.services import INSIGHTS_REFRESH_HOURS, source_insights_pull
from costdata.facts.services import (
    SERVICE_COLUMNS,
    TAG_COLUMNS,
    PullResult,
    QueryResult,
    RowSpool,
    cost_window_replace,
    daily_rollup_rebuild,
    monthly_rollup_rebuild,
    pull_result_from_rows,
)
from costdata.ingestion.services.errors import (
    PERMANENT_ERRORS,
    RESTART_ERRORS,
    THROTTLING_ERRORS,
    PullFailed,
    PullThrottled,
    SourceBusy,
    describe_error,
)
from costdata.ingestion.services.focus import FocusImportFailed, focus_import, focus_window_replace
from costdata.ingestion.services.pull import (
    cost_explorer_for,
    fetch_cost_explorer,
    source_pull,
    source_refresh_window,
)
from costdata.ingestion.services.sources import (
    PULL_TASK_NAME,
    source_create,
    source_pull_enqueue,
    source_schedule_set,
    source_schedule_sync,
)

__all__ = [
    "INSIGHTS_REFRESH_HOURS",
    "PERMANENT_ERRORS",
    "PULL_TASK_NAME",
    "RESTART_ERRORS",
    "SERVICE_COLUMNS",
    "TAG_COLUMNS",
    "THROTTLING_ERRORS",
    "PullFailed",
    "PullResult",
    "PullThrottled",
    "QueryResult",
    "RowSpool",
    "SourceBusy",
    "cost_explorer_for",
    "cost_window_replace",
    "daily_rollup_rebuild",
    "describe_error",
    "fetch_cost_explorer",
    "FocusImportFailed",
    "focus_import",
    "focus_window_replace",
    "monthly_rollup_rebuild",
    "pull_result_from_rows",
    "source_create",
    "source_insights_pull",
    "source_pull",
    "source_pull_enqueue",
    "source_refresh_window",
    "source_schedule_set",
    "source_schedule_sync",
]
