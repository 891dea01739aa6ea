"""The stored choices and the pure rule engine's enums name the same values.

costdata.models keeps display labels for pages and admin; costdata.variances.rules keeps the values the
detection works with. Services convert one into the other (ScopeType(line.scope_type)), so a value
added to one side only would break detection at run time: this keeps them in step.
"""

from __future__ import annotations

from costdata import models
from costdata.variances import rules as variance_rules


def test_stored_scope_types_are_the_rule_engines_scope_types():
    assert set(models.ScopeType.values) == {member.value for member in variance_rules.ScopeType}


def test_stored_variance_kinds_are_the_rule_engines_kinds():
    assert set(models.Variance.Kind.values) == {member.value for member in variance_rules.VarianceKind}
