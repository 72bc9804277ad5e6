"""The streaming reader of big sheets: its fast path must give exactly the cells expat gives.

``stream_rows`` reads the shapes Excel, LibreOffice and openpyxl write with a regular
expression and hands anything else to ``expat_rows``. Every case here is read both ways,
the XML cut into chunks of several sizes (so that pieces end in odd places), and must
come out the same: the same rows and cells, or the same refusal.
"""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fileformat import BadCell, FileRefused, sheet_stream
from fileformat.package_scan import check_workbook, inflate, read_small
from fileformat.template_file import build_template_xlsx
from fileformat.workbook import _date_styles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "uploads"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK_SIZES = [1, 7, 64, 1000, 10**9]
SHARED = ["bill_key", "Budi & Ani", "", "Rp <100>", "multi\nline"]
STYLES = {1: "date", 2: "duration", 3: "date"}


def outcome(reader, xml: bytes, chunk_size: int, *, shared=SHARED, styles=STYLES, date1904=False):
    """The rows ``reader`` gives for ``xml`` fed in chunks, or the code of its refusal."""
    chunks = (xml[start : start + chunk_size] for start in range(0, len(xml), chunk_size))
    try:
        return list(reader(chunks, shared_strings=shared, date_styles=styles, date1904=date1904))
    except FileRefused as refused:
        return refused.code


def assert_same_as_expat(xml: bytes, **options) -> list:
    expected = outcome(sheet_stream.expat_rows, xml, 10**9, **options)
    for size in CHUNK_SIZES:
        assert outcome(sheet_stream.stream_rows, xml, size, **options) == expected, f"chunks of {size} bytes"
    return expected


def sheet(rows: str, *, root=f'<worksheet xmlns="{MAIN}">', declaration=True) -> bytes:
    prolog = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' if declaration else ""
    return (
        f'{prolog}{root}<dimension ref="A1:H9"/><sheetData>{rows}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    ).encode()


# --- every fixture workbook -------------------------------------------------------------


def _formats_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet_ = workbook.active
    for value, number_format in [
        (0.5, "hh:mm"),
        (1.5, "[h]:mm"),
        (46053.5, "dd/mm/yyyy"),
        (46053, '"Rp"#,##0'),
        (59, "dd/mm/yyyy"),
        (True, "General"),
        ("  spaced  ", "General"),
        ("Budi & <Ani> \"quoted\" 'x'", "General"),
        ("Émilie 日本 😀", "General"),
    ]:
        sheet_.append([value, "=A1*2", None, value])
        sheet_.cell(row=sheet_.max_row, column=1).number_format = number_format
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    "name",
    ["bills_openpyxl.xlsx", "libreoffice_converted.xlsx", "libreoffice_formulas.xlsx", "template", "formats"],
)
def test_every_sheet_of_every_fixture_workbook_reads_as_expat_reads_it(name, tmp_path):
    if name == "template":
        path = tmp_path / "template.xlsx"
        path.write_bytes(build_template_xlsx(today=dt.date(2027, 1, 1)))
    elif name == "formats":
        path = _formats_workbook(tmp_path / "formats.xlsx")
    else:
        path = FIXTURES / name
    info = check_workbook(path, max_rows=1000)
    archive = zipfile.ZipFile(path)
    with archive, path.open("rb") as raw:
        shared = []
        if info.shared_strings_part:
            shared = sheet_stream.read_shared_strings(inflate(raw, archive.getinfo(info.shared_strings_part)))
        styles = _date_styles(read_small(raw, archive, info.styles_part)) if info.styles_part else {}
        for sheet_info in info.sheets:
            xml = b"".join(inflate(raw, archive.getinfo(sheet_info.part)))
            rows = assert_same_as_expat(xml, shared=shared, styles=styles, date1904=info.date1904)
            assert rows, sheet_info.name


def test_the_writings_of_excel_libreoffice_and_openpyxl_are_read_without_expat():
    excel_rows = (
        '<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46053</v></c>'
        '<c r="C1" s="3" t="n"><v>46053.5</v></c><c r="D1"><f>B1+1</f><v>46054</v></c></row>'
    )
    libreoffice_rows = (
        '<row r="2" customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" '
        'collapsed="false"><c r="A2" s="0" t="s"><v>1</v></c><c r="B2" s="0" t="n"><v>6281234567891</v></c>'
        '<c r="C2" s="0" t="str"><f aca="false">A2&amp;"-B"</f><v>INV-501-B</v></c></row>'
    )
    openpyxl_rows = (
        '<row r="3"><c r="A3" t="inlineStr"><is><t>INV &amp; 1</t></is></c><c r="B3" t="inlineStr" />'
        '<c r="C3" t="n"><v>150000</v></c><c r="D3"><f>D2+1</f><v /></c>'
        '<c r="E3" t="inlineStr"><is><t xml:space="preserve"> x </t></is></c><c r="F3" t="b"><v>1</v></c>'
        '<c r="G3" t="e"><v>#N/A</v></c></row>'
    )
    reader = sheet_stream._PieceReader(shared_strings=SHARED, date_styles=STYLES, date1904=False)
    for rows in (excel_rows, libreoffice_rows, openpyxl_rows):
        assert reader.read(rows.encode()) is not None, rows
    root = f'<worksheet xmlns="{MAIN}" xmlns:x14ac="x">'
    xml = sheet(excel_rows + libreoffice_rows + openpyxl_rows, root=root)
    assert assert_same_as_expat(xml) == [
        (1, ["bill_key", dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 12, 0), 46054.0]),
        (2, ["Budi & Ani", 6281234567891.0, "INV-501-B"]),
        (3, ["INV & 1", "", 150000.0, BadCell("", "formula_without_value"), " x ", True,
             BadCell("#N/A", "cell_error_value")]),
    ]


# --- odd shapes: each is read the same way as expat reads it ------------------------------------

ODD_ROWS = {
    "inline strings with entities and character references": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>A &amp; B &lt;C&gt; &quot;d&quot; &apos;e&apos; &#233;&#xE9;'
        "&#x1F600;&#13;</t></is></c></row>"
    ),
    "shared strings, empty and out of range": (
        '<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>2</v></c><c r="C1" t="s"><v>4</v></c></row>'
    ),
    "a shared string index out of range": '<row r="1"><c r="A1" t="s"><v>99</v></c></row>',
    "a shared string cell without a value": '<row r="1"><c r="A1" t="s"/></row>',
    "a number that is not one": '<row r="1"><c r="A1"><v>12abc</v></c></row>',
    "empty cells of every writing": (
        '<row r="1"><c r="A1"/><c r="B1" t="inlineStr" /><c r="C1"></c><c r="D1"><v></v></c><c r="E1"><v/></c>'
        '<c r="F1" t="inlineStr"><is><t></t></is></c><c r="G1" t="str"><v></v></c><c r="H1"><v>1</v></c></row>'
        '<row r="2"><c r="A2"/></row><row r="3"/><row r="4" ht="15" />'
    ),
    "gaps, columns out of order and repeated": (
        '<row r="1"><c r="D1"><v>4</v></c><c r="B1"><v>2</v></c><c r="AA1"><v>27</v></c><c r="B1"><v>3</v></c></row>'
    ),
    "dates, times, durations and the 1900 leap day": (
        '<row r="1"><c r="A1" s="1"><v>46053</v></c><c r="B1" s="1"><v>0.75</v></c><c r="C1" s="2"><v>1.5</v></c>'
        '<c r="D1" s="1"><v>59</v></c><c r="E1" s="1"><v>61</v></c><c r="F1" s="3"><v>46053.123456789</v></c>'
        '<c r="G1" s="01"><v>46053</v></c><c r="H1" s="1"><v>3e6</v></c><c r="I1" s="1"><v>-1</v></c>'
        '<c r="J1" s="1"/><c r="K1" s="1"><f>A1</f></c></row>'
    ),
    "booleans, errors and ISO dates as text": (
        '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="e"><v>#DIV/0!</v></c>'
        '<c r="D1" t="e"><f>1/0</f><v>#REF!</v></c><c r="E1" t="d"><v>2027-01-01</v></c><c r="F1" t="e"/></row>'
    ),
    "formulas with and without saved results": (
        '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1"><f>1+1</f></c>'
        '<c r="C1"><f t="shared" ref="C1:C3" si="0">A1</f></c><c r="D1" t="str"><f>""</f><v></v></c>'
        '<c r="E1" t="str"><f>A1</f></c><c r="F1" t="str"><f>A1</f><v/></c>'
        '<c r="G1" t="str"><f>A1&amp;"x"</f><v>2x</v></c><c r="H1"><f t="shared" si="0"/><v>3</v></c></row>'
    ),
    "cells and rows without positions": (
        '<row r="1"><c r="B1"><v>1</v></c></row><row><c><v>2</v></c><c t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="5"><c r="C5"><v>5</v></c><c><v>6</v></c></row>'
    ),
    "attributes in another order, quoting and spacing": (
        '<row r="1"><c s="1" r="A1"><v>46053</v></c><c r=\'B1\' t=\'s\'><v>1</v></c>'
        '<c r="C1"  t = "inlineStr" ><is><t>x</t></is></c><c r="D1" t="inlineStr"\n><is><t>y</t></is></c></row>'
        '<row r="2" spans = "1:4"><c r="A2" cm="1" t="s" s="1"><v>0</v></c></row>'
    ),
    "layout between tags": (
        '\n  <row r="1">\n    <c r="A1"><v>1</v></c>\r\n    <c r="B1" t="inlineStr"><is><t>x</t></is></c>\n  </row>\n'
    ),
    "comments, CDATA and processing instructions": (
        '<row r="1"><!-- a </row> in a comment --><c r="A1" t="inlineStr"><is><t><![CDATA[<b> & </row>]]></t></is></c>'
        '<?pi </row>?><c r="B1"><v>2</v></c></row><!-- <row r="9"><c r="A9"><v>9</v></c></row> -->'
        '<row r="2"><c r="A2"><v>3</v></c></row>'
    ),
    "rich text and phonetic runs": (
        '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>Bu</t></r>'
        '<r><t xml:space="preserve">di </t></r><rPh sb="0" eb="1"><t>ブ</t></rPh></is></c></row>'
    ),
    "carriage returns, tabs and line feeds in text": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a\r\nb\rc\td\ne</t></is></c>'
        '<c r="B1" t="str"><v>x\r\ny</v></c></row>'
    ),
    "text between rows": '<row r="1"><c r="A1"><v>1</v></c></row>stray<row r="2"><c r="A2"><v>2</v></c></row>',
    "a row inside a row": '<row r="1"><c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>2</v></c></row></row>',
    "self-closed rows after the last row end": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"/><row r="3" />',
    "non-ASCII text": '<row r="1"><c r="A1" t="inlineStr"><is><t>Jürgen Weiß 日本 😀</t></is></c></row>',
    "an undeclared entity": '<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',
    "a bare ampersand": '<row r="1"><c r="A1" t="inlineStr"><is><t>A & B</t></is></c></row>',
    "a reference to a character XML forbids": '<row r="1"><c r="A1" t="inlineStr"><is><t>&#1;</t></is></c></row>',
    "a character XML forbids": '<row r="1"><c r="A1" t="inlineStr"><is><t>a\x01b</t></is></c></row>',
    "a greater-than sign and ]]> in text": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a > b</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>]]></t></is></c></row>'
    ),
    "a repeated attribute": '<row r="1"><c r="A1" t="s" t="n"><v>1</v></c></row>',
    "a noncharacter in an attribute": '<row r="1" x="\ufffe"><c r="A1" cm="\uffff"><v>1</v></c></row>',
    "a repeated row attribute": '<row r="1" ht="15" ht="16"><c r="A1"><v>1</v></c></row>',
    "an unclosed cell": '<row r="1"><c r="A1"><v>1</v></row>',
    "an entity in a formula": (
        '<row r="1"><c r="A1"><f>A2&amp;&lt;&gt;</f><v>1</v></c><c r="B1"><f>&bad;</f><v>1</v></c></row>'
    ),
}


@pytest.mark.parametrize("name", ODD_ROWS)
def test_odd_shapes_read_as_expat_reads_them(name):
    assert_same_as_expat(sheet(ODD_ROWS[name]))


def test_the_1904_date_system_is_applied_alike():
    rows = '<row r="1"><c r="A1" s="1"><v>44000</v></c><c r="B1" s="2"><v>0.25</v></c></row>'
    assert assert_same_as_expat(sheet(rows), date1904=True) == [(1, [dt.date(2024, 6, 19), dt.timedelta(hours=6)])]


@pytest.mark.parametrize(
    "root",
    [
        f'<x:worksheet xmlns:x="{MAIN}">',
        '<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main">',
        '<worksheet xmlns="urn:not-a-sheet">',
        f'<!-- <sheetData> --><worksheet xmlns="{MAIN}">',
    ],
)
def test_unusual_sheet_openings_read_as_expat_reads_them(root):
    rows = '<row r="1"><c r="A1"><v>1</v></c></row>'
    if root.startswith("<x:"):
        xml = sheet(rows.replace("<", "<x:").replace("<x:/", "</x:"), root=root)
        xml = xml.replace(b"<dimension", b"<x:dimension").replace(b"<sheetData>", b"<x:sheetData>")
        xml = xml.replace(b"</sheetData>", b"</x:sheetData>").replace(b"<pageMargins", b"<x:pageMargins")
        xml = xml.replace(b"</worksheet>", b"</x:worksheet>")
    else:
        xml = sheet(rows, root=root, declaration=False)
    assert_same_as_expat(xml)


def test_a_sheet_declared_in_another_encoding_reads_as_expat_reads_it():
    xml = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>Renée</t></is></c></row>', declaration=False)
    xml = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + xml.replace("é".encode(), b"\xe9")
    assert assert_same_as_expat(xml) == [(1, ["Renée"])]


def test_invalid_utf8_and_a_truncated_sheet_are_refused_alike():
    good = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>ok</t></is></c></row>')
    assert assert_same_as_expat(good.replace(b"ok", b"o\xff")) == "damaged"
    assert assert_same_as_expat(good[: good.index(b"<pageMargins")]) == "damaged"


def test_a_big_generated_sheet_mixing_shapes_reads_as_expat_reads_it():
    shapes = [
        ODD_ROWS[name]
        for name in (
            "inline strings with entities and character references",
            "empty cells of every writing",
            "formulas with and without saved results",
            "cells and rows without positions",
            "rich text and phonetic runs",
            "comments, CDATA and processing instructions",  # last: expat reads the rest
        )
    ]
    rows = []
    for number in range(1, 3001):
        rows.append(
            f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>INV-{number} &amp; co</t></is></c>'
            f'<c r="B{number}"><v>{81234567890 + number}</v></c><c r="C{number}" t="s"><v>{number % 5}</v></c>'
            f'<c r="D{number}" s="1"><v>{46000 + number % 60}</v></c><c r="E{number}" t="inlineStr" /></row>'
        )
        if number % 500 == 0:  # an odd row now and then sends its piece to expat
            rows.append(shapes[number // 500 - 1])
    xml = sheet("".join(rows))
    expected = outcome(sheet_stream.expat_rows, xml, 10**9)
    for size in (1000, 4096, 65536, 10**9):
        assert outcome(sheet_stream.stream_rows, xml, size) == expected


# --- shared strings ---------------------------------------------------------------------


def strings_outcome(reader, xml: bytes, chunk_size: int):
    chunks = (xml[start : start + chunk_size] for start in range(0, len(xml), chunk_size))
    try:
        return reader(chunks)
    except FileRefused as refused:
        return refused.code


def assert_same_strings_as_expat(xml: bytes) -> list:
    expected = strings_outcome(sheet_stream.expat_shared_strings, xml, 10**9)
    for size in CHUNK_SIZES:
        assert strings_outcome(sheet_stream.read_shared_strings, xml, size) == expected, f"chunks of {size} bytes"
    return expected


def table(items: str, *, root=f'<sst xmlns="{MAIN}" count="9" uniqueCount="9">') -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}{items}</sst>'.encode()


ODD_ITEMS = {
    "plain, preserved spaces and empty": ('<si><t>bill_key</t></si><si><t xml:space="preserve"> Budi </t></si>'
                                          '<si><t></t></si>'),
    "entities and character references": "<si><t>A &amp; B &lt;C&gt; &quot;&apos; &#233;&#x1F600;&#13;</t></si>",
    "rich text and phonetic runs": (
        '<si><r><rPr><b/></rPr><t>Bu</t></r><r><t xml:space="preserve">di </t></r><rPh sb="0" eb="1"><t>ブ</t></rPh>'
        '<phoneticPr fontId="1"/></si><si><t>after</t></si>'
    ),
    "an empty t tag": "<si><t/></si><si><t>x</t></si>",
    "layout, comments and CDATA": (
        '\n<si><t>a</t></si>\n  <!-- <si><t>no</t></si> --><si><t><![CDATA[<b> & </si>]]></t></si><?pi </si>?>'
        "<si><t>c</t></si>"
    ),
    "carriage returns and line feeds": "<si><t>a\r\nb\rc\nd</t></si>",
    "an undeclared entity": "<si><t>&nbsp;</t></si>",
    "a reference to a character XML forbids": "<si><t>&#0;</t></si>",
    "an unclosed item": "<si><t>a</t><si><t>b</t></si>",
}


@pytest.mark.parametrize("name", ODD_ITEMS)
def test_shared_strings_read_as_expat_reads_them(name):
    assert_same_strings_as_expat(table(ODD_ITEMS[name]))


@pytest.mark.parametrize(
    "root", [f'<x:sst xmlns:x="{MAIN}">', '<sst xmlns="urn:not-a-table">', f'<!-- <si> --><sst xmlns="{MAIN}">']
)
def test_unusual_shared_strings_openings_read_as_expat_reads_them(root):
    items = "<si><t>a</t></si><si><t>b</t></si>"
    if root.startswith("<x:"):
        xml = table(items.replace("<", "<x:").replace("<x:/", "</x:"), root=root).replace(b"</sst>", b"</x:sst>")
    else:
        xml = table(items, root=root)
    assert_same_strings_as_expat(xml)


def test_a_big_shared_strings_table_reads_as_expat_reads_it():
    items = "".join(
        f"<si><t>INV-{number} &amp; co</t></si>" if number % 700 else ODD_ITEMS["rich text and phonetic runs"]
        for number in range(5000)
    )
    xml = table(items)
    expected = strings_outcome(sheet_stream.expat_shared_strings, xml, 10**9)
    assert len(expected) > 5000
    assert sheet_stream._shared_items(b"<si><t>INV-1 &amp; co</t></si>\n<si><t/></si>") is None
    assert sheet_stream._shared_items(b"<si><t>INV-1 &amp; co</t></si>\n<si><t></t></si>") == ["INV-1 & co", ""]
    for size in (1000, 4096, 65536, 10**9):
        assert strings_outcome(sheet_stream.read_shared_strings, xml, size) == expected
