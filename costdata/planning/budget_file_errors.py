"""Why a budget upload was refused: every problem, by row and column, as the invalid input of "file".

BudgetFileError is a django ValidationError of the field "file", one message a problem, so a caller
(the API's exception handler, a page's form) shows it as any other invalid input. It lives apart from
budget_files, whose parsing and writing stay free of Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

COLUMNS = ("scope_type", "scope_value", "month", "amount", "currency")
MAX_ERRORS = 50


@dataclass(frozen=True)
class RowError:
    """A problem as the user can find it: row 1 is the header, None means the file as a whole."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class BudgetFileError(ValidationError, ValueError):
    """The upload was refused. `errors` holds the first MAX_ERRORS problems, `total` how many there were.

    As a ValidationError it is {"file": [one message a problem, and how many more there were]}.
    """

    def __init__(self, errors: Sequence[RowError], *, total: int | None = None) -> None:
        ordered = sorted(
            errors, key=lambda e: (e.row or 0, COLUMNS.index(e.column) if e.column in COLUMNS else -1)
        )
        self.errors = tuple(ordered[:MAX_ERRORS])
        self.total = len(errors) if total is None else total
        problems = [str(e) for e in self.errors]
        if self.total > len(problems):
            problems.append(f"... and {self.total - len(problems)} more problems; nothing was imported.")
        super().__init__({"file": problems})

    def __str__(self) -> str:
        """The first three problems and how many more: for logs and the command line."""
        shown = self.errors[:3]
        more = f" (and {self.total - len(shown)} more)" if self.total > len(shown) else ""
        return "; ".join(str(e) for e in shown) + more
