"""What every part of the variance procedure shares: its states, actions and refusal."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError

from costdata.variances.models import Variance, VarianceTransition

logger = logging.getLogger(__name__)


DETECT_TASK_NAME = "costdata.detect_variances"


HISTORY_DAYS = 35  # days of daily figures before the month: the run rate's lookback and the spike window


ZERO = Decimal(0)


Status = Variance.Status


Action = VarianceTransition.Action


class TransitionRefused(ValidationError):
    """The procedure does not allow this step now; the message says why and what would."""
