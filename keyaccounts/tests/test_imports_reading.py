"""Reading uploaded files (keyaccounts.imports.reading): what a file holds, and what is
refused before any row is looked at. The files are real, built with openpyxl and csv."""

import datetime
import os

import pytest
from django.utils import translation

from keyaccounts.imports import reading
from keyaccounts.imports.kinds import KINDS
from keyaccounts.imports.reading import BadCell, FileError, read_table
from keyaccounts.tests.imports_files import (
    csv_file,
    png,
    xlsx,
    xlsx_merged_over,
    xlsx_with_long_cell,
    zip_bomb,
)

ACCOUNT_HEADERS = KINDS["accounts"].header_index().score


@pytest.fixture(autouse=True)
def in_english():
    """The messages these tests read are the English ones, whatever an earlier test left
    active."""
    with translation.override("en"):
        yield


def read(content: bytes):
    return read_table(content, header_score=ACCOUNT_HEADERS)


def values(table):
    return [
        [str(cell) if isinstance(cell, BadCell) else cell for cell in cells]
        for _n, cells in table.rows
    ]


def test_a_workbook_is_read_with_its_types_and_row_numbers():
    content = xlsx(
        {
            "rows": [
                ["Name", "Employees", "Founded", "Listed"],
                ["Acme", 120, datetime.date(2001, 5, 4), True],
                [None, None, None, None],
                ["Beta", 3.5, None, False],
            ]
        }
    )
    table = read(content)
    assert table.format == "xlsx"
    assert table.headers == ["Name", "Employees", "Founded", "Listed"]
    # The blank row 3 is skipped; the others keep the numbers a spreadsheet shows.
    assert [number for number, _cells in table.rows] == [2, 4]
    assert table.rows[0][1] == ["Acme", 120, datetime.datetime(2001, 5, 4), True]
    assert table.rows[1][1] == ["Beta", 3.5, None, False]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030(encoding):
    content = csv_file([["客户名称", "行业"], ["华东机械有限公司", "制造"]], encoding=encoding)
    table = read(content)
    assert table.format == "csv"
    assert table.headers == ["客户名称", "行业"]
    assert values(table) == [["华东机械有限公司", "制造"]]


# Written by hand: a Taiwan customer list and a mainland one, as their Excel saves them.
TRADITIONAL = [
    ["客戶名稱", "統一編號", "行業", "負責業務"],
    ["台灣精密機械股份有限公司", "12345675", "製造業", "陳美玲"],
    ["鴻海", "", "電子", "張偉"],
]
SIMPLIFIED = [
    ["客户名称", "行业", "负责人"],
    ["华东机械有限公司", "制造", "张伟"],
    ["杭州数据有限公司", "科技", "王芳"],
]


def test_a_taiwan_excel_csv_is_read_as_big5_and_says_so():
    """Big5 bytes also decode as GB18030, into rare characters (“め嘿” for 客戶): the
    file is read as the encoding whose frequent characters it holds, and the preview
    says which."""
    table = read(csv_file(TRADITIONAL, encoding="cp950"))
    assert table.headers == TRADITIONAL[0]
    assert values(table) == TRADITIONAL[1:]
    assert table.notices == [
        "Read as Big5 (traditional Chinese). If the text looks wrong, save the file as "
        "“CSV UTF-8” and import it again."
    ]


@pytest.mark.parametrize(
    "rows",
    [SIMPLIFIED, [["名称"], ["华为"]], [["客户名称"], ["上海精密工具有限公司"]]],
    ids=["a list", "two words", "one name"],
)
def test_a_mainland_csv_that_big5_also_decodes_stays_gb18030(rows):
    content = csv_file(rows, encoding="gb18030")
    try:
        content.decode("cp950")
    except UnicodeDecodeError:
        pass  # Big5 refuses it: GB18030 is the only reading
    table = read(content)
    assert [table.headers, *values(table)] == rows
    assert table.notices == []


def test_a_short_file_both_encodings_read_as_frequent_text_says_it_may_be_big5():
    """陳偉 in Big5 is 朝岸 in GB18030, both frequent characters: the reading is a guess,
    and the preview says so."""
    table = read(csv_file([["Name", "Contact"], ["Acme", "陳偉"]], encoding="cp950"))
    assert values(table) == [["Acme", "朝岸"]]
    assert table.notices == [
        "Read as GB18030 (simplified Chinese); it may be Big5 (traditional Chinese). If the "
        "text looks wrong, save the file as “CSV UTF-8” and import it again."
    ]


def test_a_file_in_neither_chinese_encoding_says_which_it_expects():
    content = b"Name\r\n\x81\x30\x81\xff\xff\r\n"
    with pytest.raises(FileError) as error:
        read(content)
    assert str(error.value) == (
        "The file's text encoding cannot be read. Expected CSV in UTF-8, GB18030 or Big5: "
        "in Excel, choose Save As → “CSV UTF-8 (comma delimited)”."
    )


def test_csv_with_semicolons_is_read_by_its_delimiter():
    table = read(csv_file([["Name", "Region"], ["Acme", "East, North"]], delimiter=";"))
    assert table.delimiter == ";"
    assert values(table) == [["Acme", "East, North"]]


def test_a_title_row_above_the_header_is_skipped():
    content = xlsx(
        {"rows": [["客户清单 2025"], [], ["客户名称", "行业", "区域"], ["甲公司", "制造", "华东"]]}
    )
    table = read(content)
    assert table.header_row == 3
    assert table.headers == ["客户名称", "行业", "区域"]
    assert values(table) == [["甲公司", "制造", "华东"]]
    assert any("row 3" in notice for notice in table.notices)


def test_merged_cells_give_each_cell_the_top_left_value():
    content = xlsx(
        {
            "rows": [["Account", "Name"], ["Acme", "Wang"], [None, "Li"], [None, "Zhao"]],
            "merge": ["A2:A4"],
        }
    )
    table = read_table(content, header_score=KINDS["contacts"].header_index().score)
    assert values(table) == [["Acme", "Wang"], ["Acme", "Li"], ["Acme", "Zhao"]]
    assert any("A2:A4" in notice for notice in table.notices)


def test_a_merged_range_past_the_data_fills_only_the_rows_and_columns_with_values():
    """A range merged over the whole sheet (a 29 KB file) made 20 million cells and
    100,000 rows of nothing but its value; a range running below the data, rows that
    hold only the merged value."""
    whole_sheet = xlsx_merged_over([["Name"], ["Acme"], ["Bolt"]], "A1:XFD1048576")
    below = xlsx(
        {
            "rows": [["Account", "Name"], ["Acme", "Wang"], [None, "Li"]],
            "merge": ["A2:A500"],
        }
    )

    table = read(whole_sheet)
    merged = read_table(below, header_score=KINDS["contacts"].header_index().score)

    assert values(table) == [["Acme"], ["Bolt"]]  # A1 holds a value: the header's
    assert values(merged) == [["Acme", "Wang"], ["Acme", "Li"]]
    assert any("A2:A500" in notice for notice in merged.notices)


def test_hidden_sheets_are_skipped_and_the_first_visible_one_is_read():
    content = xlsx(
        {"title": "Lookup", "rows": [["Name"], ["Secret Co"]], "hidden": True},
        {"title": "Accounts", "rows": [["Name"], ["Acme"]]},
    )
    table = read(content)
    assert table.sheet == "Accounts"
    assert values(table) == [["Acme"]]
    assert any("Lookup" in notice for notice in table.notices)


def test_an_empty_first_sheet_is_skipped():
    content = xlsx({"title": "Cover", "rows": []}, {"title": "Data", "rows": [["Name"], ["Acme"]]})
    table = read(content)
    assert table.sheet == "Data"
    assert any("Cover" in notice for notice in table.notices)


def test_a_workbook_of_empty_sheets_is_refused():
    with pytest.raises(FileError, match="no data"):
        read(xlsx({"rows": []}, {"rows": [[None, None]]}))


def test_a_workbook_whose_only_data_is_hidden_says_so():
    with pytest.raises(FileError, match="Hidden sheets are not read"):
        read(xlsx({"rows": []}, {"rows": [["Name"], ["Acme"]], "hidden": True}))


def test_a_header_without_rows_is_refused():
    with pytest.raises(FileError, match="no rows under it"):
        read(csv_file([["Name", "Industry"]]))


def test_a_formula_is_not_taken_but_reported_on_its_cell():
    content = xlsx({"rows": [["Name", "Employees"], ["Acme", "=10*12"], ["Beta", 5]]})
    table = read(content)
    formula = table.rows[0][1][1]
    assert isinstance(formula, BadCell)
    assert "=10*12" in formula.message
    assert "Paste Special" in formula.expected
    assert table.rows[1][1] == ["Beta", 5]


def test_a_10_mb_cell_is_reported_on_its_row_in_a_workbook_and_in_csv():
    # Random text: it does not pack well, so the workbook is not taken for a zip bomb.
    huge = os.urandom(5 * 1024 * 1024).hex()
    assert len(huge) == 10 * 1024 * 1024
    for content in (
        xlsx_with_long_cell([["Name", "Notes"], ["Acme", "LONG-CELL"], ["Beta", "ok"]], huge),
        csv_file([["Name", "Notes"], ["Acme", huge], ["Beta", "ok"]]),
    ):
        table = read(content)
        cell = table.rows[0][1][1]
        assert isinstance(cell, BadCell)
        assert "10,485,760 characters" in cell.message
        assert "32,767" in cell.expected
        assert table.rows[1][1] == ["Beta", "ok"]


def test_a_nul_character_in_a_csv_cell_is_reported_on_its_row():
    content = b"Name,Notes\r\nAcme,bad\x00byte\r\nBeta,fine\r\n"
    table = read(content)
    assert isinstance(table.rows[0][1][1], BadCell)
    assert "NUL" in table.rows[0][1][1].message
    assert table.rows[1][1] == ["Beta", "fine"]


def test_an_apostrophe_that_an_export_put_before_a_formula_like_text_is_taken_off():
    table = read(csv_file([["Name", "Notes"], ["Acme", "'=1+2"], ["Beta", "'plain"]]))
    assert values(table) == [["Acme", "=1+2"], ["Beta", "'plain"]]


def test_an_image_renamed_xlsx_is_not_a_spreadsheet():
    with pytest.raises(FileError, match="PNG file, not a spreadsheet"):
        read(png())


def test_binary_noise_is_not_a_spreadsheet():
    with pytest.raises(FileError, match="not a spreadsheet"):
        read(bytes(range(256)) * 40)


def test_an_old_xls_workbook_is_refused_with_what_to_do():
    with pytest.raises(FileError, match="Excel 97-2003"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


@pytest.mark.parametrize(
    "content",
    [
        "<html><body><table><tr><td>客户名称</td></tr><tr><td>华为</td></tr></table></body></html>",
        "\ufeff<!DOCTYPE html>\n<html><table><tr><td>Name</td></tr></table></html>",
        '  <table border="1"><tr><th>Name</th></tr><tr><td>Acme</td></tr></table>',
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><table></table>',
    ],
)
def test_a_web_page_saved_as_xls_is_refused_with_what_to_do(content):
    """Many systems export a table as HTML under an .xls name; read as CSV it was "a
    header row with no rows under it"."""
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(FileError, match=r"web page \(HTML\), not a spreadsheet"):
            read(content.encode(encoding))


def test_an_xml_spreadsheet_is_refused_with_what_to_do():
    content = (
        b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
    )
    with pytest.raises(FileError, match="XML document, not a spreadsheet"):
        read(content)


def test_a_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(FileError, match="not a spreadsheet"):
        read(out.getvalue())


def test_a_damaged_workbook_is_refused():
    content = xlsx({"rows": [["Name"], ["Acme"]]})
    with pytest.raises(FileError):
        read(content[: len(content) // 2])


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024  # 64 MB of zeros packs into well under a megabyte
    with pytest.raises(FileError, match="zip bomb"):
        read(bomb)


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(FileError, match="zip bomb"):
        read(xlsx({"rows": [["Name"], ["Acme"]]}))


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    rows = [["Name"]] + [[f"Account {n}"] for n in range(20)]
    for content in (xlsx({"rows": rows}), csv_file(rows)):
        with pytest.raises(FileError, match="more than 3 rows"):
            read(content)


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileError, match="at most"):
        read(csv_file([["Name"]] + [["x" * 50]] * 5))


def test_text_written_inline_reads_as_openpyxl_reads_it():
    """Write-only workbooks (the exports, many programs) hold each text inline, rich
    text in runs: read straight from the XML, it is the text openpyxl itself gives."""
    import io

    from openpyxl import Workbook, load_workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Accounts")
    sheet.append(["Name", "Notes"])
    sheet.append(["Plain Co", CellRichText(["met ", TextBlock(InlineFont(b=True), "张总"), "!"])])
    sheet.append(["  Spaced Co  ", "line one\nline two"])
    out = io.BytesIO()
    workbook.save(out)

    table = read(out.getvalue())
    expected = [
        [str(value) for value in row]
        for row in load_workbook(io.BytesIO(out.getvalue()), rich_text=False).active.iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert (
        values(table)
        == expected
        == [
            ["Plain Co", "met 张总!"],
            ["  Spaced Co  ", "line one\nline two"],
        ]
    )


def test_a_table_kept_with_its_job_comes_back_cell_for_cell():
    """What the upload read is kept (`table_dumps`) and read back (`table_loads`) by the
    runs instead of the file: every kind of cell comes back as it was, of its type."""
    import datetime

    from keyaccounts.imports.reading import BadCell, Table, table_dumps, table_loads

    cells = [
        "上海精密", "", 12, 12.0, 0.5, True, False, None,
        datetime.datetime(2025, 3, 18, 10, 30), datetime.date(2025, 3, 31),
        datetime.time(14, 30), datetime.timedelta(days=2, seconds=5),
        BadCell("=SUM(A1:A2)", "This cell holds a formula.", "a value"), '{"d": "2025-01-01"}',
    ]  # fmt: skip
    table = Table("xlsx", ["名称", "B"], [(3, cells)], header_row=2, sheet="客户", notices=["n"])
    back = table_loads(table_dumps(table))
    assert back == table
    assert [type(cell) for cell in back.rows[0][1]] == [type(cell) for cell in cells]
