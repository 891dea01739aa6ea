"""The role matrix as one table: every app's capabilities (its permissions.CAPABILITIES) by role.

The README's "Who may do what" section is this table (tests/security/test_matrix.py keeps them equal):
`python manage.py shell -c "from partnership.access import matrix_markdown; print(matrix_markdown())"`.
"""

from __future__ import annotations

from costdata import permissions as cost_permissions
from meetings import permissions as programme_permissions
from stakeholders import permissions as people_permissions
from stakeholders.permissions import Capability
from stakeholders.roles import ROLE_LABELS, Role

MATRIX_ROLES = (
    Role.ADMIN,
    Role.FINANCE,
    Role.TECHNOLOGY_LEAD,
    Role.BUSINESS_UNIT_OWNER,
    Role.ENGINEER,
    Role.THIRD_PARTY,
)

SECTIONS: tuple[tuple[str, list[Capability]], ...] = (
    ("People", people_permissions.CAPABILITIES),
    ("Programme", programme_permissions.CAPABILITIES),
    ("Costs", cost_permissions.CAPABILITIES),
    ("Audit", people_permissions.AUDIT_CAPABILITIES),
)


def capabilities() -> list[Capability]:
    return [capability for _, section in SECTIONS for capability in section]


def capability(key: str) -> Capability:
    return next(c for c in capabilities() if c.key == key)


def matrix_rows() -> list[list[str]]:
    """Header then one row per capability: the label and, per role, "yes", a limit, or "-"."""
    rows = [["", *(ROLE_LABELS[role] for role in MATRIX_ROLES)]]
    for item in capabilities():
        rows.append([item.label, *(item.roles.get(role) or "-" for role in MATRIX_ROLES)])
    return rows


def matrix_markdown() -> str:
    rows = matrix_rows()
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)
