"""Byte-level builders for the hostile corpus: CSV text, hand-made xlsx zips, a CFB container.

Everything is built in memory with fixed timestamps, so the same bytes come out on every
run. Nothing here imports the app: the corpus must not depend on the code it attacks.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

ZIP_TIME = (2024, 1, 1, 0, 0, 0)
Row = Sequence[object]


# --------------------------------------------------------------------------------- text
def fmt(value: object, decimal: str = ".") -> str:
    """One CSV cell as a spreadsheet would write it ('' for None, no float noise)."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        return text.replace(".", decimal)
    return str(value)


def quote(text: str, sep: str) -> str:
    if any(ch in text for ch in (sep, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def delimited(
    header: Sequence[str],
    rows: Iterable[Row],
    *,
    sep: str = ",",
    decimal: str = ".",
    newline: str = "\n",
) -> str:
    lines = [sep.join(quote(h, sep) for h in header)]
    lines += [sep.join(quote(fmt(v, decimal), sep) for v in row) for row in rows]
    return newline.join(lines) + newline


# --------------------------------------------------------------------------------- xlsx
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{i}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}"
    '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>'
)
# cellXfs: 0 = general, 1 = date (numFmtId 14, m/d/yyyy)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


class ExcelDate(float):
    """A spreadsheet serial date (days since 1899-12-30), written with a date style."""


def col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, ExcelDate):
        return f'<c r="{ref}" s="1"><v>{float(value)!r}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_xml(rows: Sequence[Row], *, dimension: str | None = None, tail: str = "") -> str:
    """A worksheet part; ``tail`` is raw XML appended inside <sheetData> (extra rows).

    ``dimension=None`` declares the true extent; ``""`` leaves the <dimension> out.
    """
    if dimension is None:
        width = max((len(r) for r in rows), default=1)
        dimension = f"A1:{col_letter(width - 1)}{max(len(rows), 1)}"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{col_letter(c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    return (
        f"{SHEET_HEAD}{dim}"
        f'<sheetData>{"".join(body)}{tail}'
        "</sheetData></worksheet>"
    )


def _put(zf: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def xlsx(sheets: dict[str, str | Sequence[Row]]) -> bytes:
    """A minimal but valid .xlsx; each sheet is rows or a ready worksheet XML string."""
    buf = io.BytesIO()
    names = list(sheets)
    with zipfile.ZipFile(buf, "w") as zf:
        types = "".join(_SHEET_TYPE.format(i=i + 1) for i in range(len(names)))
        _put(zf, "[Content_Types].xml", _CONTENT_TYPES.format(sheets=types))
        _put(zf, "_rels/.rels", _ROOT_RELS)
        decl = "".join(
            f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, n in enumerate(names)
        )
        _put(zf, "xl/workbook.xml", _WORKBOOK.format(sheets=decl))
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(names))
        )
        _put(zf, "xl/_rels/workbook.xml.rels", _WB_RELS.format(rels=rels))
        _put(zf, "xl/styles.xml", _STYLES)
        for i, name in enumerate(names):
            part = sheets[name]
            _put(zf, f"xl/worksheets/sheet{i + 1}.xml", part if isinstance(part, str) else sheet_xml(part))
    return buf.getvalue()


def xlsx_zip_bomb(n_rows: int = 6_000_000) -> bytes:
    """A valid xlsx whose one sheet inflates to ~300 MB (6 million one-cell rows) from <1 MB."""
    buf = io.BytesIO()
    base = xlsx({"Sheet1": [["patient_id"]]})
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w") as zf:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                _put(zf, item.filename, src.read(item.filename))
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            out.write(f"{SHEET_HEAD}<sheetData>".encode())  # no <dimension>: stream it all
            block = "".join('<row><c t="inlineStr"><is><t>x</t></is></c></row>' for _ in range(1000))
            for _ in range(n_rows // 1000):
                out.write(block.encode())
            out.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def patch_declared_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size a zip declares for ``member`` (local + central header)."""
    raw = bytearray(data)
    name = member.encode()
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = raw.find(sig)
        while pos != -1:
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", raw, pos + size_at, size)
            pos = raw.find(sig, pos + 4)
    return bytes(raw)


def corrupt_member(data: bytes, member: str) -> bytes:
    """Overwrite the middle of ``member``'s compressed bytes (CRC / inflate error)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    raw = bytearray(data)
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    mid = start + info.compress_size // 2
    raw[mid : mid + 16] = b"\xff" * 16
    return bytes(raw)


def deflate_bytes(data: bytes) -> bytes:
    return zlib.compress(data, 9)


# --------------------------------------------------------------------------------- CFB
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def _dir_entry(name: str, kind: int, *, child: int = _NOSTREAM, right: int = _NOSTREAM,
               start: int = _END, size: int = 0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded, len(encoded), kind, 1 if kind else 0, _NOSTREAM, right, child,
        b"\0" * 16, 0, 0, 0, start, size,
    )


def encrypted_office_file(seed: int = 7) -> bytes:
    """An OLE/CFB container like a password-protected xlsx: EncryptionInfo + EncryptedPackage.

    Version 3 compound file, 512-byte sectors; both streams are >= 4096 bytes so they live
    in regular sectors (no mini stream). Structurally valid: olefile-style readers list it.
    """
    rng = random.Random(seed)
    info_xml = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption '
        b'xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
        b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
        b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></encryption>'
    )
    info = (b"\x04\x00\x04\x00\x40\x00\x00\x00" + info_xml).ljust(4096, b"\0")
    package = struct.pack("<Q", 6000) + bytes(rng.getrandbits(8) for _ in range(6136))
    streams = [("EncryptionInfo", info), ("EncryptedPackage", package)]
    sector = 512
    fat = [_FATSECT, _END]  # sector 0 = FAT, sector 1 = directory
    starts, body = [], b""
    for _, data in streams:
        n = -(-len(data) // sector)
        first = len(fat)
        starts.append(first)
        fat += [first + k + 1 for k in range(n - 1)] + [_END]
        body += data.ljust(n * sector, b"\0")
    fat += [_FREE] * (128 - len(fat))
    directory = (
        _dir_entry("Root Entry", 5, child=1)
        + _dir_entry(streams[0][0], 2, right=2, start=starts[0], size=len(streams[0][1]))
        + _dir_entry(streams[1][0], 2, start=starts[1], size=len(streams[1][1]))
        + _dir_entry("", 0)
    )
    header = (
        CFB_MAGIC + b"\0" * 16
        + struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0,
                      0x1000, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + body


_SST_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_SST_REL = ('<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')


def shared_strings_xml(strings: Sequence[str], *, count: int | None = None,
                       unique: int | None = None) -> str:
    """A shared-string table; ``count``/``unique`` are what it declares (true by default)."""
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings) if count is None else count}" '
            f'uniqueCount="{len(strings) if unique is None else unique}">{items}</sst>')


def with_shared_strings(data: bytes, sst: bytes | str) -> bytes:
    """``data`` (an :func:`xlsx`) with a shared-string part, declared where Excel declares it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as zf:
        for item in src.infolist():
            part = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                part = part.replace(b"</Types>", _SST_TYPE.encode() + b"</Types>")
            if item.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(b"</Relationships>", _SST_REL.encode() + b"</Relationships>")
            _put(zf, item.filename, part)
        _put(zf, "xl/sharedStrings.xml", sst)
    return buf.getvalue()


def shared_cell(ref: str, index: int) -> str:
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'
