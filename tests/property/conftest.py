"""Hypothesis settings for the property tests: deterministic and bounded in CI, searching when asked.

CI (and a plain `make test`) uses the "property" profile: derandomised, so a run is repeatable and a
failure reproduces; no per-example deadline (a loaded 2-core machine is slow, not wrong); a fixed
number of examples so the directory stays within seconds. HYPOTHESIS_PROFILE=property-search explores
new inputs with ten times the examples, for a local hunt.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "property", derandomize=True, deadline=None, max_examples=200, print_blob=True, database=None
)
settings.register_profile(
    "property-search", derandomize=False, deadline=None, max_examples=2000, print_blob=True
)
PROPERTY = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "property"))
# For the few properties that need the database: each example runs in its own savepoint.
PROPERTY_DB = settings(
    PROPERTY,
    max_examples=min(PROPERTY.max_examples, 60),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
