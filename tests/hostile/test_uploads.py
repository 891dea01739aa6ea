"""Oversized and malformed uploads: a clear error naming the problem, and nothing half-written."""

from __future__ import annotations

import gzip
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from costdata.models import BudgetLine, CostSource, DailyCost, IngestionRun
from costdata.planning import budget_files
from costdata.planning import services as budgets

GOOD = b"scope_type,scope_value,month,amount,currency\norganisation,,2027-01,100,USD\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GARBAGE = bytes(range(256)) * 40


@pytest.fixture
def version(db):
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="FY2027", fiscal_year=2027), name="v1"
    )
    budgets.budget_version_import(version=version, data=GOOD, filename="good.csv")
    return version


def upload(api, version, name: str, data: bytes):
    return api.post(
        f"/api/v1/budget-versions/{version.pk}/import/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["scope_type", "scope_value", "month", "amount", "currency"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb_xlsx() -> bytes:
    """A real workbook whose sheet inflates past the expansion limit from a few hundred KB."""
    padding = budget_files.DEFAULT_MAX_BYTES * budget_files.XLSX_EXPANSION_LIMIT + 1_000_000
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if not info.filename.endswith("sheet1.xml"):
                bomb.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with bomb.open(info.filename, "w") as sheet:  # streamed: never the whole sheet in memory
                sheet.write(head)
                for _ in range(padding // 1_000_000):
                    sheet.write(b" " * 1_000_000)
                sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.csv", GOOD + b"#" * budget_files.DEFAULT_MAX_BYTES, "the limit is"),
        ("garbage.csv", GARBAGE, ""),
        ("picture.xlsx", PNG, ""),
        ("picture.png", PNG, ""),
        ("empty.csv", b"", "empty"),
        ("not-a-workbook.xlsx", b"PK\x03\x04" + GARBAGE, ""),
        ("bomb.xlsx", None, "unpacks"),
    ],
)
def test_a_bad_budget_file_is_a_400_naming_the_file_and_keeps_the_lines(
    finance_api, version, name, data, message
):
    before = list(BudgetLine.objects.values_list("pk", "amount"))
    response = upload(finance_api, version, name, zip_bomb_xlsx() if data is None else data)
    assert response.status_code == 400, response.content
    problems = response.json()["file"]
    assert problems and all(isinstance(p, str) and p for p in problems)
    assert message in " ".join(problems)
    assert list(BudgetLine.objects.values_list("pk", "amount")) == before


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["organisation", "", "2027-01", "-5", "USD"], "amount"),
        (["organisation", "", "2027-01", "1e30", "USD"], "amount"),
        (["organisation", "", "2027-01", "NaN", "USD"], "amount"),
        (["organisation", "", "2027-01", "Infinity", "USD"], "amount"),
        (["organisation", "", "2027-13", "5", "USD"], "month"),
        (["organisation", "", "0000-01", "5", "USD"], "month"),
        (["organisation", "", "10000-01", "5", "USD"], "month"),
        (["organisation", "", "2027-00", "5", "USD"], "month"),
        (["organisation", "", "2027-01", "5", "XXX"], "currency"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_row_is_refused_naming_row_and_column_and_nothing_is_imported(
    finance_api, version, row, column, kind
):
    good_row = ["organisation", "", "2027-02", "7", "USD"]
    if kind == "csv":
        data = (
            "scope_type,scope_value,month,amount,currency\n"
            + ",".join(good_row)
            + "\n"
            + ",".join(row)
            + "\n"
        ).encode()
    else:
        data = xlsx_bytes([good_row, row])
    before = list(BudgetLine.objects.values_list("pk", "amount"))
    response = upload(finance_api, version, f"budget.{kind}", data)
    assert response.status_code == 400, response.content
    text = " ".join(response.json()["file"])
    assert "row 3" in text and column in text
    assert list(BudgetLine.objects.values_list("pk", "amount")) == before


@pytest.fixture
def focus_source(db):
    return CostSource.objects.create(name="FOCUS", kind=CostSource.Kind.FOCUS_FILE)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("garbage.csv", GARBAGE),
        ("picture.csv", PNG),
        ("empty.csv", b""),
        ("header-only.csv", b"BilledCost,ChargePeriodStart\n"),
        ("bad.csv.gz", b"\x1f\x8b\x08\x00" + GARBAGE),
        ("bomb.csv.gz", gzip.compress(b"a" * 50_000_000)),
        ("weird.exe", b"MZ" + GARBAGE),
    ],
)
def test_a_bad_focus_file_is_refused_on_the_page_and_nothing_is_written(
    admin_browser, focus_source, name, data
):
    facts, runs = (
        DailyCost.objects.count(),
        IngestionRun.objects.filter(status=IngestionRun.Status.SUCCEEDED).count(),
    )
    response = admin_browser.post(
        f"/costs/sources/{focus_source.pk}/import/", {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 200, "re-rendered with the problems, not a 500 or a redirect to success"
    page = response.content.decode()
    assert "errorlist" in page or "problem" in page.lower()
    assert DailyCost.objects.count() == facts
    assert IngestionRun.objects.filter(status=IngestionRun.Status.SUCCEEDED).count() == runs


def _entity_bomb_xlsx() -> bytes:
    """A workbook whose sheet declares nested entities (billion laughs) and uses the outermost one."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["organisation", "", "2027-01", 1, "USD"]])))
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'.encode() + data
                data = data.replace(b"organisation", b"&i;", 1)
            bomb.writestr(info.filename, data)
    return out.getvalue()


def test_workbooks_are_parsed_without_xml_entities(finance_api, version):
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML, "openpyxl reads workbooks through defusedxml"
    response = upload(finance_api, version, "laughs.xlsx", _entity_bomb_xlsx())
    assert response.status_code == 400
    assert list(BudgetLine.objects.filter(version=version).values_list("amount", flat=True)) == [100]


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(
    finance_api, admin_browser, version, settings
):
    settings.MAX_UPLOAD_BYTES = 1000
    big = GOOD + b"#" * 2000
    response = upload(finance_api, version, "big.csv", big)
    assert response.status_code == 413
    assert "MAX_UPLOAD_BYTES" in response.json()["detail"]
    page = admin_browser.post(
        f"/costs/budgets/versions/{version.pk}/import/", {"file": SimpleUploadedFile("big.csv", big)}
    )
    assert page.status_code == 413 and "at most 1,000 bytes" in page.content.decode()
    assert list(BudgetLine.objects.filter(version=version).values_list("amount", flat=True)) == [100]


def test_a_body_without_a_length_is_counted_as_it_arrives():
    from django.core.exceptions import RequestDataTooBig
    from django.test import override_settings

    from common.uploads import LimitedUploadHandler

    handler = LimitedUploadHandler()
    with override_settings(MAX_UPLOAD_BYTES=10):
        assert handler.receive_data_chunk(b"12345", 0) == b"12345"
        with pytest.raises(RequestDataTooBig, match="MAX_UPLOAD_BYTES"):
            handler.receive_data_chunk(b"678901", 5)


def test_a_workbook_whose_sheet_is_not_xml_is_a_400_naming_the_file(finance_api, version):
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["organisation", "", "2027-01", 1, "USD"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for info in source.infolist():
            data = source.read(info.filename)
            broken.writestr(
                info.filename, data.replace(b"</sheetData>", b"<c>") if "sheet1" in info.filename else data
            )
    response = upload(finance_api, version, "broken.xlsx", out.getvalue())
    assert response.status_code == 400 and "not readable XML" in str(response.json()["file"])
