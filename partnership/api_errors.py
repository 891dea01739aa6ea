"""The API's exception handler: DRF's, plus input the database cannot represent answered as a 400.

A query parameter, filter or id beyond the database's integer range (or otherwise unstorable) reaches
the ORM as valid Python and fails inside the driver: SQLite raises OverflowError, Postgres DataError.
Either is the client's input, not a server fault, so it gets a 400 rather than a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, OverflowError | DataError):
        logger.info("refused unstorable input: %s", exc.__class__.__name__)
        return Response({"detail": "A value in the request is out of range or cannot be stored."}, status=400)
    return drf_exception_handler(exc, context)
