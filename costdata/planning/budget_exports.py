"""Budget downloads as CSV and XLSX, in the upload layout of costdata.planning.budget_files. Pure
writing, no Django.

An export always imports back as the same lines: text cells are neutralised against formulas, and
the XLSX export writes an amount as a number cell only when that number reads back exactly (the
parser reads floats through `repr`), else as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from costdata.planning.budget_file_errors import COLUMNS
from costdata.planning.budget_files import BudgetLine
from costdata.planning.spreadsheets import decimal_text, neutralise_text


def _row(line: BudgetLine) -> tuple[str, str, str]:
    return line.scope.scope_type.value, line.scope.value, f"{line.month:%Y-%m}"


def export_budget_csv(lines: Iterable[BudgetLine]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads accents right), comma-separated, the upload layout."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for line in lines:
        scope_type, scope_value, month = _row(line)
        writer.writerow(
            [
                scope_type,
                neutralise_text(scope_value),
                month,
                decimal_text(line.amount),
                neutralise_text(line.currency),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def _exact_float(amount: Decimal) -> float | None:
    """The float to write for `amount`, if the file will read back as exactly `amount`, else None.

    openpyxl writes numbers as "%.16g" and reads them back as floats, which the parser turns into
    Decimal through repr: the check follows that path exactly.
    """
    written = float(format(float(amount), ".16g"))
    return written if Decimal(repr(written)) == amount else None


def export_budget_xlsx(lines: Iterable[BudgetLine], *, sheet_title: str = "Budget") -> bytes:
    """One sheet in the upload layout. Text columns are text cells (account ids keep their zeros)."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        scope_type, scope_value, month = _row(line)
        number = _exact_float(line.amount)
        texts = [scope_type, neutralise_text(ILLEGAL_CHARACTERS_RE.sub("", scope_value)), month]
        sheet.append([*texts, number if number is not None else decimal_text(line.amount), line.currency])
        row = sheet.max_row
        for column in (1, 2, 3, 5):
            sheet.cell(row=row, column=column).number_format = "@"
        amount_cell = sheet.cell(row=row, column=4)
        amount_cell.number_format = "#,##0.00##" if number is not None else "@"
    for letter, width in zip("ABCDE", (16, 40, 10, 18, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
