"""Writes of the variance procedure, one module per concern; callers import from here.

- detection: figures against budget, forecast and run rate become variances
- routing: who answers for a scope and by when
- procedure: the state machine (assign, explain, accept, send back, close, reassign, escalate, comment)
- notifications: the e-mails each event queues, and the daily digest
"""

from costdata.variances.services.base import (
    DETECT_TASK_NAME,
    HISTORY_DAYS,
    ZERO,
    Action,
    Status,
    TransitionRefused,
    logger,
)
from costdata.variances.services.detection import (
    DetectionResult,
    data_through,
    month_close,
    months_to_detect,
    scope_figures,
    scope_month_actual,
    scope_projection,
    thresholds_for,
    variances_detect,
    variances_detect_enqueue,
)
from costdata.variances.services.notifications import (
    SUBJECTS,
    variance_digest_send,
    variance_notify,
)
from costdata.variances.services.procedure import (
    ActionItemMaker,
    register_action_item_maker,
    variance_accept,
    variance_assign,
    variance_close,
    variance_comment,
    variance_explain,
    variance_reassign,
    variance_send_back,
    variances_escalate_overdue,
)
from costdata.variances.services.routing import (
    Route,
    organisation_holidays,
    route_scope,
    technology_leads,
)

__all__ = [
    "Action",
    "ActionItemMaker",
    "DETECT_TASK_NAME",
    "DetectionResult",
    "HISTORY_DAYS",
    "Route",
    "SUBJECTS",
    "Status",
    "TransitionRefused",
    "ZERO",
    "data_through",
    "logger",
    "month_close",
    "months_to_detect",
    "organisation_holidays",
    "register_action_item_maker",
    "route_scope",
    "scope_figures",
    "scope_month_actual",
    "scope_projection",
    "technology_leads",
    "thresholds_for",
    "variance_accept",
    "variance_assign",
    "variance_close",
    "variance_comment",
    "variance_digest_send",
    "variance_explain",
    "variance_notify",
    "variance_reassign",
    "variance_send_back",
    "variances_detect",
    "variances_detect_enqueue",
    "variances_escalate_overdue",
]
