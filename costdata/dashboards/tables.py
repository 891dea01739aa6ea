"""The exact tables behind the charts: every value as text (Decimals unrounded), for the page, CSV
downloads and review packs. No Django, no network."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from common.lru import LRU
from costdata.dashboards.figures import FIGURE_CACHE_SIZE, frame_digest, is_missing
from costdata.planning.spreadsheets import csv_cell, decimal_text


def _cell_text(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date().isoformat() if value == value.normalize() else value.isoformat())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def figure_table(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The exact figures behind a chart, one dict per row, every value as text (Decimals unrounded)."""
    columns = [str(c) for c in frame.columns]
    return [
        {column: _cell_text(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def table_cells(rows: Sequence[Mapping[str, str]]) -> list[list[tuple[str, bool]]]:
    """A table's cells for the page, each with whether it reads as a number (right-aligned): decided
    once here rather than by template filters per cell."""
    return [[(text, bool(text) and text[0] in "-0123456789") for text in row.values()] for row in rows]


_TABLES: LRU[tuple[list[dict[str, str]], list[list[tuple[str, bool]]]]] = LRU(FIGURE_CACHE_SIZE)


def page_table(frame: pd.DataFrame) -> tuple[str, list[dict[str, str]], list[list[tuple[str, bool]]]]:
    """(digest, figure_table, table_cells) of a frame, reused while the same cells come again (the
    dashboards show the same tables to everyone until new data). Callers must not change them."""
    key = frame_digest(frame)

    def build() -> tuple[list[dict[str, str]], list[list[tuple[str, bool]]]]:
        table = figure_table(frame)
        return table, table_cells(table)

    parts = _TABLES.get_or_build(key, build)
    return key, parts[0], parts[1]


def figure_csv(frame: pd.DataFrame) -> str:
    """The same table as CSV, with text cells neutralised against formula injection."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([csv_cell(None if is_missing(v) else v) for v in row])
    return buffer.getvalue()


def clear_table_cache() -> None:
    _TABLES.clear()
