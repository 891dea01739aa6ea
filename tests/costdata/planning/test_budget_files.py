"""Budget files: CSV and XLSX parsing with row-level errors, file checks, safe export, round trips."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costdata.planning.budget_exports import export_budget_csv, export_budget_xlsx
from costdata.planning.budget_files import (
    COLUMNS,
    MAX_ERRORS,
    BudgetFileError,
    BudgetLine,
    FileKind,
    RowError,
    detect_file_kind,
    fiscal_year_months,
    fiscal_year_start,
    parse_budget_file,
)
from costdata.planning.spreadsheets import csv_cell, neutralise_text, restore_text
from costdata.variances.rules import ScopeKey, ScopeType

D = Decimal
FY2027 = date(2027, 1, 1)
HEADER = "scope_type,scope_value,month,amount,currency\n"


def parse_csv(body: str, **kwargs) -> list[BudgetLine]:
    kwargs.setdefault("fiscal_year_start", FY2027)
    return parse_budget_file((HEADER + body).encode(), filename="budget.csv", **kwargs)


def errors_of(body: str, **kwargs) -> list[RowError]:
    with pytest.raises(BudgetFileError) as caught:
        parse_csv(body, **kwargs)
    return list(caught.value.errors)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ----------------------------------------------------------------------------------------


def test_a_csv_budget_is_read_line_by_line() -> None:
    lines = parse_csv(
        "organisation,,2027-01,120000.00,USD\n"
        "business_unit,Retail,2027-01,50000,USD\n"
        'team,Payments,2027-02,"12,500.50",usd\n'
        "account,012345678901,2027-03,999.9999,USD\n"
        "service,Amazon Elastic Compute Cloud - Compute,2027-03,10,USD\n"
        "tag,cost-centre=CC-42,2027-12,0,USD\n"
    )
    assert lines == [
        BudgetLine(ScopeKey(ScopeType.ORGANISATION, ""), date(2027, 1, 1), D("120000.00"), "USD"),
        BudgetLine(ScopeKey(ScopeType.BUSINESS_UNIT, "Retail"), date(2027, 1, 1), D("50000"), "USD"),
        BudgetLine(ScopeKey(ScopeType.TEAM, "Payments"), date(2027, 2, 1), D("12500.50"), "USD"),
        BudgetLine(ScopeKey(ScopeType.ACCOUNT, "012345678901"), date(2027, 3, 1), D("999.9999"), "USD"),
        BudgetLine(
            ScopeKey(ScopeType.SERVICE, "Amazon Elastic Compute Cloud - Compute"),
            date(2027, 3, 1),
            D(10),
            "USD",
        ),
        BudgetLine(ScopeKey(ScopeType.TAG, "cost-centre=CC-42"), date(2027, 12, 1), D(0), "USD"),
    ]


def test_headers_are_forgiving_about_case_spaces_order_and_a_byte_order_mark() -> None:
    data = "\ufeffCurrency,Amount,Month,Scope Value,SCOPE_TYPE\r\nUSD,5,2027-04-01,Retail,Business Unit\r\n"
    lines = parse_budget_file(data.encode(), filename="b.CSV", fiscal_year_start=FY2027)
    assert lines == [BudgetLine(ScopeKey(ScopeType.BUSINESS_UNIT, "Retail"), date(2027, 4, 1), D(5), "USD")]


def test_semicolon_separated_csv_from_european_excel_is_read() -> None:
    data = "scope_type;scope_value;month;amount;currency\nteam;Data;2027-05;300.25;EUR\n"
    lines = parse_budget_file(data.encode(), filename="b.csv", fiscal_year_start=FY2027)
    assert lines[0].amount == D("300.25") and lines[0].currency == "EUR"


def test_blank_rows_are_skipped_and_row_numbers_stay_as_the_user_sees_them() -> None:
    errors = errors_of("team,A,2027-01,1,USD\n,,,,\n\nteam,B,2027-01,-5,USD\n")
    assert errors == [RowError(5, "amount", "must not be negative")]


def test_every_error_in_every_row_is_reported_at_once() -> None:
    errors = errors_of(
        "squad,A,2027-01,1,USD\naccount,12345,2027-13,abc,US\norganisation,Acme,2026-12,1,USD\n"
    )
    assert [(e.row, e.column) for e in errors] == [
        (2, "scope_type"),
        (3, "scope_value"),
        (3, "month"),
        (3, "amount"),
        (3, "currency"),
        (4, "scope_value"),
        (4, "month"),
    ]
    assert "squad" in errors[0].message and "business_unit" in errors[0].message
    assert errors[2].message == "'2027-13' is not a month; write YYYY-MM"
    assert errors[6].message == "2026-12 is outside the fiscal year (2027-01 to 2027-12)"


def test_only_the_first_fifty_errors_are_listed_with_the_total() -> None:
    body = "".join(f"team,T{i},2027-01,-1,USD\n" for i in range(80))
    with pytest.raises(BudgetFileError) as caught:
        parse_csv(body)
    assert len(caught.value.errors) == MAX_ERRORS
    assert caught.value.total == 80
    assert caught.value.errors[0].row == 2
    assert "(and 77 more)" in str(caught.value)


def test_nothing_is_returned_when_one_row_of_many_is_bad() -> None:
    body = "".join(f"team,T{i},2027-01,1,USD\n" for i in range(100)) + "team,X,2027-01,1e5,USD\n"
    assert [(e.row, e.column) for e in errors_of(body)] == [(102, "amount")]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "must not be negative"),
        ("1000000000000", "1000000000000 is not below the ceiling of 1000000000000"),
        ("1.23456", "1.23456 has more than 4 decimal places"),
        ("1,2", "'1,2' is not a number; use digits with a full stop for decimals"),
        ("NaN", "'NaN' is not a number; use digits with a full stop for decimals"),
        ("", "'' is not a number; use digits with a full stop for decimals"),
        ("12 000", None),
    ],
)
def test_amounts_are_checked(amount: str, message: str | None) -> None:
    body = f'team,A,2027-01,"{amount}",USD\n'
    if message is None:
        assert parse_csv(body)[0].amount == D(12000)
    else:
        assert errors_of(body) == [RowError(2, "amount", message)]


def test_the_amount_ceiling_is_a_parameter() -> None:
    assert errors_of("team,A,2027-01,5001,USD\n", max_amount=D(5000))[0].column == "amount"


def test_an_account_must_be_exactly_twelve_digits() -> None:
    errors = errors_of("account,1234567890123,2027-01,1,USD\naccount,12345678901a,2027-01,1,USD\n")
    assert [e.row for e in errors] == [2, 3]
    assert "exactly 12 digits" in errors[0].message


def test_a_tag_must_be_key_equals_value() -> None:
    errors = errors_of("tag,cost-centre,2027-01,1,USD\ntag,=x,2027-01,1,USD\n")
    assert [e.message for e in errors] == [
        "'cost-centre' is not a tag; write it as key=value",
        "'=x' is not a tag; write it as key=value",
    ]
    assert parse_csv("tag,env=,2027-01,1,USD\n")[0].scope.value == "env="


def test_a_name_is_required_for_named_scopes() -> None:
    assert errors_of("team,,2027-01,1,USD\n") == [RowError(2, "scope_value", "is required for a team")]


def test_a_duplicate_scope_and_month_is_refused_naming_the_first_row() -> None:
    errors = errors_of("team,A,2027-01,1,USD\nteam,B,2027-01,1,USD\nteam,A,2027-01-01,2,USD\n")
    assert errors == [RowError(4, "scope_value", "repeats row 2: one line per scope and month")]


def test_months_follow_the_fiscal_year_start() -> None:
    april = fiscal_year_start(2027, 4)
    assert april == date(2026, 4, 1)
    assert fiscal_year_months(april)[-1] == date(2027, 3, 1)
    assert parse_csv("team,A,2026-04,1,USD\nteam,A,2027-03,1,USD\n", fiscal_year_start=april)
    errors = errors_of("team,A,2027-04,1,USD\n", fiscal_year_start=april)
    assert errors == [RowError(2, "month", "2027-04 is outside the fiscal year (2026-04 to 2027-03)")]


def test_the_budget_currency_is_enforced_when_given() -> None:
    assert errors_of("team,A,2027-01,1,EUR\n", currency="USD") == [
        RowError(2, "currency", "is EUR, but this budget is in USD")
    ]
    assert errors_of("team,A,2027-01,1,XYZ\n") == [
        RowError(2, "currency", "'XYZ' is not an ISO 4217 currency code")
    ]


def test_control_characters_in_names_are_refused() -> None:
    assert errors_of('team,"A\tB",2027-01,1,USD\n')[0].column == "scope_value"


def test_a_leading_apostrophe_marks_text_and_is_removed() -> None:
    assert parse_csv("team,'=Ops,2027-01,1,USD\n")[0].scope.value == "=Ops"


def test_header_problems_name_the_column() -> None:
    data = b"scope_type,scope_value,month,ammount,currency,currency\n"
    with pytest.raises(BudgetFileError) as caught:
        parse_budget_file(data, filename="b.csv", fiscal_year_start=FY2027)
    assert [(e.row, e.column, e.message) for e in caught.value.errors] == [
        (1, "ammount", "unknown column; expected scope_type, scope_value, month, amount, currency"),
        (1, "amount", "required column is missing"),
        (1, "currency", "appears more than once"),
    ]


def test_a_header_without_lines_is_refused() -> None:
    with pytest.raises(BudgetFileError, match="no budget lines"):
        parse_csv("")


def test_a_row_with_values_beyond_the_header_is_refused() -> None:
    assert errors_of("team,A,2027-01,1,USD,extra\n") == [
        RowError(2, None, "has values beyond the last named column")
    ]


def test_malformed_csv_quoting_is_reported() -> None:
    with pytest.raises(BudgetFileError, match="malformed"):
        parse_csv('team,"A,2027-01,1,USD\n')


def test_too_many_rows_are_refused() -> None:
    body = "".join(f"team,T{i},2027-01,1,USD\n" for i in range(11))
    with pytest.raises(BudgetFileError, match="more than 10 lines"):
        parse_csv(body, max_rows=10)


# --- file checks ------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(BudgetFileError, match="the limit is 100"):
        parse_budget_file(b"x" * 101, filename="b.csv", fiscal_year_start=FY2027, max_bytes=100)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(BudgetFileError, match="empty"):
        parse_budget_file(b"", filename="b.csv", fiscal_year_start=FY2027)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.7\x00\x01binary", "budget.csv", "binary"),
        (b"scope_type\n", "budget.pdf", "only .csv and .xlsx"),
        (b"scope_type\n", "budget", "no extension"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "budget.xlsx", "legacy .xls"),
        (b"scope_type,scope_value\n", "budget.xlsx", "named .xlsx but its content is CSV"),
        (b"PK\x03\x04garbage", "budget.xlsx", "damaged"),
    ],
)
def test_wrong_file_types_are_refused_by_content(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(BudgetFileError, match=message):
        detect_file_kind(data, filename=filename)


def test_an_xlsx_renamed_to_csv_is_refused() -> None:
    with pytest.raises(BudgetFileError, match="named .csv but its content is XLSX"):
        detect_file_kind(xlsx_bytes([["scope_type"]]), filename="budget.csv")


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(BudgetFileError, match="not an Excel workbook"):
        detect_file_kind(buffer.getvalue(), filename="budget.xlsx")


def test_a_workbook_that_unpacks_to_far_more_than_the_limit_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 3_000_000)
    data = buffer.getvalue()
    assert len(data) < 100_000
    with pytest.raises(BudgetFileError, match="too large to read"):
        detect_file_kind(data, filename="budget.xlsx", max_bytes=100_000)


def test_non_utf8_csv_is_refused_with_a_hint() -> None:
    data = (HEADER + "team,Caf\xe9,2027-01,1,USD\n").encode("latin-1")
    with pytest.raises(BudgetFileError, match="CSV UTF-8"):
        parse_budget_file(data, filename="b.csv", fiscal_year_start=FY2027)


def test_the_file_kind_is_detected() -> None:
    assert detect_file_kind(b"a,b\n", filename="x.csv") is FileKind.CSV
    assert detect_file_kind(xlsx_bytes([["a"]]), filename="x.xlsx") is FileKind.XLSX


# --- XLSX cells -------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_text_are_read_as_the_user_typed_them() -> None:
    data = xlsx_bytes(
        [
            [None],
            ["Scope type", "Scope value", "Month", "Amount", "Currency"],
            ["team", "Payments", datetime(2027, 2, 1), 1234.56, "USD"],
            ["account", 123456789012, "2027-03", 0.1, "usd"],
            ["service", "Amazon S3", date(2027, 4, 1), 1500, "USD"],
            ["team", "Data", "2027-05", "2500.10", "USD"],
        ]
    )
    lines = parse_budget_file(data, filename="budget.xlsx", fiscal_year_start=FY2027)
    assert [(line.scope.value, line.month, line.amount, line.currency) for line in lines] == [
        ("Payments", date(2027, 2, 1), D("1234.56"), "USD"),
        ("123456789012", date(2027, 3, 1), D("0.1"), "USD"),
        ("Amazon S3", date(2027, 4, 1), D(1500), "USD"),
        ("Data", date(2027, 5, 1), D("2500.10"), "USD"),
    ]


def test_xlsx_float_noise_is_refused_with_a_hint() -> None:
    # Excel stores a formula's result with 17 significant digits; openpyxl would round it when writing,
    # so the noise is put into the sheet's XML the way Excel leaves it.
    data = xlsx_bytes([list(COLUMNS), ["team", "A", "2027-01", 0.5, "USD"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>0.5</v>" in content
                content = content.replace(b"<v>0.5</v>", b"<v>0.30000000000000004</v>")
            target.writestr(item, content)
    with pytest.raises(BudgetFileError) as caught:
        parse_budget_file(buffer.getvalue(), filename="b.xlsx", fiscal_year_start=FY2027)
    assert caught.value.errors[0] == RowError(
        2,
        "amount",
        "0.30000000000000004 has more than 4 decimal places; it looks like floating-point noise from a formula: round it",
    )


def test_an_account_id_that_lost_its_leading_zero_gets_a_hint() -> None:
    data = xlsx_bytes(
        [
            list(("scope_type", "scope_value", "month", "amount", "currency")),
            ["account", 12345678901, "2027-01", 1, "USD"],
        ]
    )
    with pytest.raises(BudgetFileError, match="dropped its leading zeros"):
        parse_budget_file(data, filename="b.xlsx", fiscal_year_start=FY2027)
    with pytest.raises(BudgetFileError, match="dropped its leading zeros"):
        parse_csv("account,42,2027-01,1,USD\n")


def test_the_fiscal_year_must_start_on_the_first_of_a_month() -> None:
    with pytest.raises(ValueError, match="first of a month"):
        parse_csv("team,A,2027-01,1,USD\n", fiscal_year_start=date(2027, 1, 15))


def test_xlsx_date_cells_must_be_the_first_of_a_month_without_a_time() -> None:
    header = ["scope_type", "scope_value", "month", "amount", "currency"]
    data = xlsx_bytes(
        [
            header,
            ["team", "A", datetime(2027, 1, 15), 1, "USD"],
            ["team", "B", datetime(2027, 1, 1, 9, 30), 1, "USD"],
        ]
    )
    with pytest.raises(BudgetFileError) as caught:
        parse_budget_file(data, filename="b.xlsx", fiscal_year_start=FY2027)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "month"), (3, "month")]


def test_xlsx_booleans_are_not_amounts() -> None:
    header = ["scope_type", "scope_value", "month", "amount", "currency"]
    with pytest.raises(BudgetFileError, match="is not a number"):
        parse_budget_file(
            xlsx_bytes([header, ["team", "A", "2027-01", True, "USD"]]),
            filename="b.xlsx",
            fiscal_year_start=FY2027,
        )


# --- writing ----------------------------------------------------------------------------------------

DANGEROUS = [
    BudgetLine(ScopeKey(ScopeType.TEAM, '=HYPERLINK("http://x")'), date(2027, 1, 1), D("10.5"), "USD"),
    BudgetLine(ScopeKey(ScopeType.TEAM, "+1"), date(2027, 1, 1), D(1), "USD"),
    BudgetLine(ScopeKey(ScopeType.TEAM, "-2"), date(2027, 1, 1), D(2), "USD"),
    BudgetLine(ScopeKey(ScopeType.TEAM, "@SUM(A1)"), date(2027, 1, 1), D(3), "USD"),
    BudgetLine(ScopeKey(ScopeType.TEAM, "'quoted"), date(2027, 1, 1), D(4), "USD"),
    BudgetLine(ScopeKey(ScopeType.ACCOUNT, "000000000042"), date(2027, 2, 1), D("900719925474.0993"), "USD"),
]


def test_csv_export_neutralises_formula_text() -> None:
    text = export_budget_csv(DANGEROUS).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["scope_type", "scope_value", "month", "amount", "currency"]
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "''quoted",
        "000000000042",
    ]
    assert rows[1][3] == "10.5" and rows[6][3] == "900719925474.0993"


def test_xlsx_export_writes_text_cells_and_number_cells() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(export_budget_xlsx(DANGEROUS)))
    sheet = workbook.active
    first = sheet.cell(row=2, column=2)
    assert first.value == '\'=HYPERLINK("http://x")' and first.data_type == "s"
    assert sheet.cell(row=2, column=4).value == 10.5  # a number finance can sum
    assert sheet.cell(row=7, column=2).value == "000000000042"
    # 900719925474.0993 has no exact float: written as text so it reads back exactly.
    assert sheet.cell(row=7, column=4).value == "900719925474.0993"


def test_export_then_parse_gives_the_same_lines_in_both_formats() -> None:
    for data, name in ((export_budget_csv(DANGEROUS), "b.csv"), (export_budget_xlsx(DANGEROUS), "b.xlsx")):
        assert parse_budget_file(data, filename=name, fiscal_year_start=FY2027) == DANGEROUS


def test_safe_cells_keep_negative_numbers_as_numbers() -> None:
    assert csv_cell(D("-12.50")) == "-12.50"
    assert csv_cell(-3) == "-3"
    assert csv_cell("-3") == "'-3"
    assert csv_cell(D("1E+3")) == "1000"
    assert csv_cell(None) == "" and csv_cell(float("nan")) == ""
    assert csv_cell(date(2027, 1, 1)) == "2027-01-01"
    assert restore_text(neutralise_text("\rcmd")) == "\rcmd"


name_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=40,
).map(str.strip).filter(bool) | st.sampled_from(["=1+1", "-x", "+x", "@x", "'x", "''x"])
tag_text = st.builds(
    lambda k, v: f"{k}={v}",
    st.from_regex(r"[A-Za-z:@+\-_.][A-Za-z0-9:_.\-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9=+\-]{0,10}", fullmatch=True),
)
scopes = st.one_of(
    st.just(ScopeKey(ScopeType.ORGANISATION, "")),
    st.builds(
        ScopeKey, st.sampled_from([ScopeType.BUSINESS_UNIT, ScopeType.TEAM, ScopeType.SERVICE]), name_text
    ),
    st.builds(ScopeKey, st.just(ScopeType.ACCOUNT), st.from_regex(r"\d{12}", fullmatch=True)),
    st.builds(ScopeKey, st.just(ScopeType.TAG), tag_text),
)
budget_lines = st.lists(
    st.builds(
        BudgetLine,
        scope=scopes,
        month=st.sampled_from(fiscal_year_months(FY2027)),
        amount=st.decimals(
            min_value=0, max_value=D("999999999999.9999"), places=4, allow_nan=False, allow_infinity=False
        ),
        currency=st.sampled_from(["USD", "EUR", "GBP", "JPY"]),
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda line: (line.scope, line.month),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines=budget_lines)
def test_any_budget_survives_a_csv_round_trip(lines: list[BudgetLine]) -> None:
    assert parse_budget_file(export_budget_csv(lines), filename="b.csv", fiscal_year_start=FY2027) == lines


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines=budget_lines)
def test_any_budget_survives_an_xlsx_round_trip(lines: list[BudgetLine]) -> None:
    assert parse_budget_file(export_budget_xlsx(lines), filename="b.xlsx", fiscal_year_start=FY2027) == lines
