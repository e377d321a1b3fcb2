#!/usr/bin/env python3
"""Dump every cell of an .xlsx workbook, for the exact C floor (scripts/xlsx-floor.c --cells).

    python3 scripts/xlsx-cells.py report.xlsx cells.bin

Reads the workbook as a zip (stdlib only), sheet by sheet in workbook order, each sheet's XML streamed through
expat so memory stays bounded by one cell (plus the shared-string table, which keyaudit's constant-memory
workbooks do not have). Writes, little-endian:

    b"XLSXCELLS1\\n"
    b"N" u32 len, code, NUL      a number-format code; the n-th N record is format n (0 = General, none)
    b"S" u32 len, name, NUL      a worksheet; the cells that follow belong to it
    b"s" u32 row, u16 col, u32 format, u32 len, text, NUL    a string (inline or shared: the same to Excel)
    b"n" u32 row, u16 col, u32 format, f64 value             a number (dates are numbers with a date format)
    b"b" u32 row, u16 col, u32 format, u8 value              a boolean
    b"k" u32 row, u16 col, u32 format                        a blank cell (written only for its format)
    b"E"                                                     end

Rows and columns are 0-based, in the order the sheet holds them. A cell's format is its number-format code
only (cellXfs -> numFmtId -> numFmts or the built-in table); fonts, fills, borders and alignment are not
dumped. Strings are the text Excel shows: rich-text runs are joined, phonetic runs dropped, `_xHHHH_` left as
written. Formulas and error cells are refused (keyaudit writes none): the floor would not be the same workbook.

Two dumps of workbooks with the same cells are byte-identical, so `cmp` of two dumps checks that the floor
wrote the same cells as keyaudit (BENCHMARKS.md).
"""

import posixpath
import re
import struct
import sys
import xml.etree.ElementTree as ET
from xml.parsers import expat
import zipfile

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# ECMA-376 part 1, 18.8.30: the number formats with an implied code.
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 5: "($#,##0_);($#,##0)",
    6: "($#,##0_);[Red]($#,##0)", 7: "($#,##0.00_);($#,##0.00)", 8: "($#,##0.00_);[Red]($#,##0.00)",
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "m/d/yy", 15: "d-mmm-yy",
    16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "(#,##0_);(#,##0)", 38: "(#,##0_);[Red](#,##0)", 39: "(#,##0.00_);(#,##0.00)",
    40: "(#,##0.00_);[Red](#,##0.00)", 41: '_(* #,##0_);_(* (#,##0);_(* "-"_);_(@_)',
    42: '_($* #,##0_);_($* (#,##0);_($* "-"_);_(@_)', 43: '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)',
    44: '_($* #,##0.00_);_($* (#,##0.00);_($* "-"??_);_(@_)', 45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0",
    48: "##0.0E+0", 49: "@",
}

TAG_C, TAG_V, TAG_IS, TAG_T, TAG_F, TAG_ROW, TAG_RPH = (MAIN[1:-1] + " " + tag for tag in ("c", "v", "is", "t", "f", "row", "rPh"))
CELL_REF = re.compile(r"[A-Z]{1,3}[0-9]+$")
COLUMNS = {}  # column letters -> index, filled as met


class DumpError(Exception):
    pass


def column_index(letters):
    value = 0
    for letter in letters:
        value = value * 26 + ord(letter) - 64
    return value - 1


def sheet_parts(archive):
    """(name, part path) of each worksheet, in workbook order."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(PKG_REL + "Relationship")}
    sheets = []
    for sheet in workbook.iter(MAIN + "sheet"):
        target = targets[sheet.get(REL + "id")]
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheets.append((sheet.get("name"), path))
    return sheets


def style_formats(archive):
    """The number-format code of each cellXfs index."""
    if "xl/styles.xml" not in archive.namelist():
        return []
    styles = ET.fromstring(archive.read("xl/styles.xml"))
    custom = {}
    numfmts = styles.find(MAIN + "numFmts")
    if numfmts is not None:
        for numfmt in numfmts.iter(MAIN + "numFmt"):
            custom[int(numfmt.get("numFmtId"))] = numfmt.get("formatCode")
    codes = []
    xfs = styles.find(MAIN + "cellXfs")
    for xf in xfs.iter(MAIN + "xf") if xfs is not None else []:
        identifier = int(xf.get("numFmtId", "0"))
        code = custom.get(identifier, BUILTIN_FORMATS.get(identifier))
        if code is None:
            raise DumpError(f"cell style uses number format {identifier}, which is neither built in nor defined")
        codes.append(code)
    return codes


def shared_strings(archive):
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings = []
    with archive.open("xl/sharedStrings.xml") as stream:
        for _, element in ET.iterparse(stream):
            if element.tag == MAIN + "si":
                strings.append(item_text(element))
                element.clear()
    return strings


def item_text(element):
    """The text of an <is> or <si>: its <t>, or its rich-text runs' <t> joined; phonetic runs (<rPh>) left out."""
    parts = []
    for child in element:
        if child.tag == MAIN + "t":
            parts.append(child.text or "")
        elif child.tag == MAIN + "r":
            for run_child in child:
                if run_child.tag == MAIN + "t":
                    parts.append(run_child.text or "")
    return "".join(parts)


class SheetReader:
    """Streams one worksheet's XML through expat's callbacks and writes its cells. Not iterparse: it builds and
    yields an Element per <c>, <is>, <t> and <v>, and a 100,000-key report.xlsx has about 5 million cells."""

    def __init__(self, name, out, format_number, strings):
        self.name = name
        self.out = out
        self.format_number = format_number
        self.strings = strings
        self.row = -1
        self.column = -1
        self.reference = None
        self.kind = "n"
        self.style = None
        self.value = None
        self.text = None
        self.collecting = None
        self.phonetic = 0
        self.pack_head = struct.Struct("<IHI").pack
        self.pack_len = struct.Struct("<I").pack
        self.pack_double = struct.Struct("<d").pack

    def start(self, tag, attributes):
        if tag == TAG_C:
            self.reference = attributes.get("r")
            self.kind = attributes.get("t", "n")
            self.style = attributes.get("s")
            self.value = None
            self.text = None
        elif tag == TAG_T:
            if self.text is not None and not self.phonetic:
                self.collecting = []
        elif tag == TAG_IS:
            self.text = []
        elif tag == TAG_V:
            self.collecting = []
        elif tag == TAG_ROW:
            r = attributes.get("r")
            self.row = int(r) - 1 if r is not None else self.row + 1
            self.column = -1
        elif tag == TAG_RPH:
            self.phonetic += 1
        elif tag == TAG_F:
            raise DumpError(f"{self.name}!{self.reference}: formulas are not dumped")

    def characters(self, data):
        if self.collecting is not None:
            self.collecting.append(data)

    def end(self, tag):
        if tag == TAG_T:
            if self.collecting is not None:
                self.text.append("".join(self.collecting))
                self.collecting = None
        elif tag == TAG_C:
            self.write_cell()
        elif tag == TAG_V:
            self.value = "".join(self.collecting)
            self.collecting = None
        elif tag == TAG_RPH:
            self.phonetic -= 1

    def write_cell(self):
        reference = self.reference
        if reference is not None:
            letters = reference.rstrip("0123456789")
            column = COLUMNS.get(letters)
            if column is None:
                if not CELL_REF.match(reference):
                    raise DumpError(f"{self.name}: cell reference {reference!r}")
                column = COLUMNS[letters] = column_index(letters)
            self.column = column
        else:
            self.column += 1
        kind = self.kind
        head = self.pack_head(self.row, self.column, self.format_number(self.style))
        if kind == "inlineStr":
            text = "".join(self.text) if self.text is not None else ""
        elif kind == "s":
            text = self.strings[int(self.value)]
        elif kind in ("str", "e"):
            raise DumpError(f"{self.name}!{reference}: cell type {kind} is not dumped")
        else:
            text = None
        if text is not None:
            encoded = text.encode("utf-8")
            self.out.write(b"s" + head + self.pack_len(len(encoded)) + encoded + b"\0")
        elif kind == "b":
            self.out.write(b"b" + head + (b"\1" if self.value == "1" else b"\0"))
        elif self.value is None:
            self.out.write(b"k" + head)
        else:
            self.out.write(b"n" + head + self.pack_double(float(self.value)))


def dump(source, destination):
    with zipfile.ZipFile(source) as archive, open(destination, "wb") as out:
        out.write(b"XLSXCELLS1\n")
        codes = style_formats(archive)
        strings = shared_strings(archive)
        format_numbers = {}

        def format_number(style):
            number = format_numbers.get(style)
            if number is None:
                code = codes[int(style)] if style is not None and codes else "General"
                number = codes_seen.get(code)
                if number is None:
                    number = len(codes_seen)
                    codes_seen[code] = number
                    encoded = code.encode("utf-8")
                    out.write(b"N" + struct.pack("<I", len(encoded)) + encoded + b"\0")
                format_numbers[style] = number
            return number

        codes_seen = {"General": 0}
        for name, part in sheet_parts(archive):
            encoded = name.encode("utf-8")
            out.write(b"S" + struct.pack("<I", len(encoded)) + encoded + b"\0")
            reader = SheetReader(name, out, format_number, strings)
            parser = expat.ParserCreate(namespace_separator=" ")
            parser.buffer_text = True
            parser.buffer_size = 1 << 20
            parser.StartElementHandler = reader.start
            parser.EndElementHandler = reader.end
            parser.CharacterDataHandler = reader.characters
            with archive.open(part) as stream:
                parser.ParseFile(stream)
        out.write(b"E")


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: xlsx-cells.py WORKBOOK.xlsx DUMP\n")
        return 64
    try:
        dump(argv[1], argv[2])
    except (OSError, zipfile.BadZipFile, ET.ParseError, expat.ExpatError, KeyError, ValueError, DumpError) as error:
        sys.stderr.write(f"xlsx-cells.py: error: {argv[1]}: {error}\n")
        return 65
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
