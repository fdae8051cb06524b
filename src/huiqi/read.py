"""Reading: a file on disk → its text as a list of lines, with provenance (name, sha256, encoding).

Line numbers everywhere in huiqi are positions in ``SourceText.lines`` (1-based), which for text files are
exactly the lines `grep -n` and `sed -n` count, so every parsed record can point back at the original.
"""

from __future__ import annotations

import codecs
import hashlib
import html.parser
import io
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, NamedTuple

from huiqi.errors import UnreadableFile

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".docx", ".pdf"}

# Real compilations are a few MB; a bigger file is almost always a concatenation or not a compilation at all.
# Refusing it before reading keeps memory bounded; HUIQI_MAX_MB raises the limit deliberately.
DEFAULT_MAX_MB = 64
# C0 and C1 control characters but tab and line feed: a vertical tab from Word, an ESC; never text, XML 1.0 cannot
# hold them, and printed they drive a terminal. And the bidirectional embeddings, overrides and isolates: printed,
# U+202E turns what follows it back to front, so that a name ending in '.exe' can print as one ending in 'exe.txt'.
CONTROL_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_NAME_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}\t\n\u2028\u2029]")  # a name is one line


@dataclass
class SourceText:
    path: Path
    sha256: str
    format: str  # txt | md | html | docx | pdf
    encoding: str
    size: int
    lines: list[str] = field(repr=False)
    name: str = ""  # how the library names it: the file name, or its path inside an ingested folder

    def __post_init__(self) -> None:
        self.name = self.name or file_name(self.path.name)


def file_name(name: str) -> str:
    """A file's name (or path) as the library keeps, prints and removes it: one line of text. A part whose bytes
    are not UTF-8 (as a zip made on Chinese Windows leaves them, in GBK) is read as GB18030; control characters
    (a newline) become spaces."""
    parts = os.fsencode(name).split(b"/")  # the bytes on disk: Python carries undecodable ones as lone surrogates
    return _NAME_CONTROL.sub(" ", "/".join(map(_name_part, parts)))


def _name_part(raw: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", "replace")


def max_bytes() -> int:
    setting = os.environ.get("HUIQI_MAX_MB", str(DEFAULT_MAX_MB))
    try:
        megabytes = float(setting)
    except ValueError:
        megabytes = -1.0
    if not 0 < megabytes <= 1024 * 1024:
        raise UnreadableFile(f"HUIQI_MAX_MB={setting!r} is not a number of megabytes from 1 to 1048576; "
                             "set e.g. HUIQI_MAX_MB=128")
    return int(megabytes * 1024 * 1024)


def check_file(path: Path) -> int:
    """The checks that need no reading: a type huiqi reads, a file that exists, not empty, not too large."""
    suffix, label = path.suffix.lower(), file_name(path.name)
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"{label}: unsupported file type '{suffix or '(none)'}'; "
                             f"huiqi reads {', '.join(sorted(SUFFIXES))}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"{file_name(str(path))}: cannot open ({exc.strerror})") from exc
    if size == 0:
        raise UnreadableFile(f"{label}: empty file (0 bytes)")
    limit = max_bytes()
    if size > limit:
        raise UnreadableFile(f"{label}: {size / 2**20:.1f} MB is larger than the {limit / 2**20:.0f} MB limit; "
                             "split the compilation or set HUIQI_MAX_MB")
    return size


def digest(path: Path) -> str:
    """sha256 of the file, read in blocks: enough to tell an unchanged file without extracting its text."""
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def read_source(path: str | Path, name: str | None = None) -> SourceText:
    """Read one file. Raises UnreadableFile with a one-line reason a user can act on."""
    path = Path(path)
    size = check_file(path)
    suffix, label = path.suffix.lower(), file_name(path.name)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        text, encoding, fmt = _pdf_text(label, data), "pdf-text-layer", "pdf"
    elif suffix == ".docx":
        text, encoding, fmt = _docx_text(label, data), "docx", "docx"
    else:
        text, encoding = decode_text(label, data)
        fmt = "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".").replace("markdown", "md").replace("text", "txt")
        if fmt == "html":
            text = html_to_text(text)
    lines = _lines(text)
    if not any(line.strip() for line in lines):
        raise UnreadableFile(f"{label}: contains no text")
    return SourceText(path=path, sha256=sha, format=fmt, encoding=encoding, size=size, lines=lines, name=name or "")


class DamagedLine(NamedTuple):
    """A line of a stream holding bytes its encoding does not allow, each read as U+FFFD."""

    text: str
    number: int
    encoding: str

    def message(self) -> str:
        return f"line {self.number} is not valid {self.encoding}, the encoding the file is read in; save it as UTF-8"


def stream_lines(stream: io.BufferedReader, name: str, longest: int) -> Iterator[str | DamagedLine]:
    """The lines of a text stream as they arrive, decoded and split as sources are (line N out is line N in), in
    bounded memory whatever comes: a line is cut after `longest` characters. A pipe is read as it fills, so that
    `tail -f questions | huiqi search --queries -` answers each line when it is written. A line with damaged text
    in it comes as a DamagedLine, in its place, and the lines after it follow."""
    pending, number, encoding = "", 0, "ascii"
    for text, encoding in _decoded(stream, name):
        *complete, pending = (pending + text).split("\n")
        for line in complete:
            number += 1
            yield _checked(line.rstrip("\r")[:longest], number, encoding)
        pending = pending[:longest]  # the rest of a line already too long is not kept
    if pending:
        yield _checked(pending.rstrip("\r"), number + 1, encoding)


def _checked(line: str, number: int, encoding: str) -> str | DamagedLine:
    return DamagedLine(line.replace(_DAMAGE, "\ufffd"), number, encoding) if _DAMAGE in line else line


# Byte order mark → the codec that reads what follows it; UTF-32's first, for UTF-16's begins it
_BOMS = {b"\xff\xfe\x00\x00": "utf-32-le", b"\x00\x00\xfe\xff": "utf-32-be", b"\xef\xbb\xbf": "utf-8",
         b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
_WIDE = ("utf-16", "utf-32")  # encodings where a NUL byte is part of a character
_NON_ASCII = re.compile(rb"[\x80-\xff]")


# What a byte that is not text in the stream's encoding is decoded as: a lone surrogate, which no decoder of
# these encodings gives for text that is valid
_DAMAGE = "\udfff"
codecs.register_error("huiqi.damage", lambda exc: (_DAMAGE, exc.end))


def _decoded(stream: io.BufferedReader, name: str) -> Iterator[tuple[str, str]]:
    """The text of a stream, block by block, with the encoding it was read in. Without a byte order mark the
    encoding is decided, by the rule `decode_text` applies to a whole file, on the complete lines read when the
    first line that is not ASCII ends (up to there UTF-8 and GB18030 agree, and ASCII lines are passed on at
    once): a whole first block for a file, what has arrived for a pipe. Damaged text further on is decoded as
    `_DAMAGE`."""
    blocks = iter(lambda: stream.read1(1 << 20), b"")  # read1: what is there, not a megabyte a pipe may not fill
    undecided, at_start, encoding = b"", True, None  # at_start: no byte passed on yet
    for block in blocks:
        undecided += block
        if at_start and len(undecided) < 4 and any(bom.startswith(undecided) for bom in _BOMS):
            continue  # a byte order mark may have begun: \xff\xfe is UTF-16's, or the start of UTF-32's
        if at_start and (bom := _bom(undecided)):
            encoding, undecided = _BOMS[bom], undecided[len(bom):]
            break
        _refuse_binary(name, block)
        if undecided.isascii():
            yield undecided.decode("ascii"), "ascii"
            at_start, undecided = False, b""
            continue
        first = _NON_ASCII.search(undecided).start()
        if (ascii_lines := undecided.rfind(b"\n", 0, first) + 1) > 0:  # not held back while the next line comes
            yield undecided[:ascii_lines].decode("ascii"), "ascii"
            at_start, undecided, first = False, undecided[ascii_lines:], first - ascii_lines
        if (last := undecided.rfind(b"\n")) > first:
            encoding = _stream_encoding(name, undecided[:last + 1], final=True)
            break
        if len(undecided) - first > 4096:  # a line that long is one query's error whatever its encoding
            encoding = _stream_encoding(name, undecided, final=False)
            break
    if encoding is None and at_start and (bom := _bom(undecided)):  # the stream ended inside the first 4 bytes
        encoding, undecided = _BOMS[bom], undecided[len(bom):]
    if not undecided and encoding is None:
        return
    encoding = encoding or _stream_encoding(name, undecided, final=True)  # the stream ended first
    decoder = codecs.getincrementaldecoder(encoding)(errors="huiqi.damage")
    for block in itertools.chain([undecided] if undecided else [], blocks, [b""]):
        if not encoding.startswith(_WIDE):
            _refuse_binary(name, block)
        yield decoder.decode(block, final=not block), encoding


def _bom(data: bytes) -> bytes | None:
    return next((bom for bom in _BOMS if data.startswith(bom)), None)


def _stream_encoding(name: str, data: bytes, final: bool) -> str:
    try:
        return _sniff(name, data, final)[1]
    except DamagedText as damaged:  # the lines it damages are each marked damaged
        return damaged.encoding
    except UnreadableFile:  # no encoding reads the first lines: each line that UTF-8 cannot read is marked
        return "utf-8"


def _refuse_binary(name: str, data: bytes) -> None:
    if b"\x00" in data:
        raise UnreadableFile(f"{name}: binary file (contains NUL bytes), not text")


def _lines(text: str) -> list[str]:
    """Split at line feeds only (not at U+2028 or a form feed, as str.splitlines would), '\\r' dropped: the lines
    `grep -n` counts."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def decode_text(name: str, data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if bom := _bom(data):
        encoding, body = _BOMS[bom], data[len(bom):]
        try:
            return body.decode(encoding), "utf-8-sig" if encoding == "utf-8" else encoding[:6]
        except UnicodeDecodeError as exc:
            raise _damaged(name, encoding, len(bom) + exc.start, _line_of(body, exc.start, encoding)) from exc
    _refuse_binary(name, data[:8192])
    return _sniff(name, data, final=True)


class DamagedText(UnreadableFile):
    """Text in a known encoding, damaged further on; what comes before the damage can be read."""

    def __init__(self, message: str, encoding: str) -> None:
        super().__init__(message)
        self.encoding = encoding


def _sniff(name: str, data: bytes, final: bool) -> tuple[str, str]:
    """(text, encoding): UTF-8 if `data` is UTF-8, else GB18030 if that reads as text (it decodes almost any
    bytes; UTF-8 does not). Not `final`, `data` is the start of a stream and may end inside a character.
    Text damaged part-way is refused at the damage (`DamagedText`), in the encoding it is in as far as there:
    UTF-8 when UTF-8 read Chinese characters before it (GB18030 text reads as one now and then, never as a run),
    else GB18030 when it read further."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=final), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_stop = exc.start
    chinese = sum(1 for _ in itertools.islice(_CHINESE_UTF8.finditer(data, 0, utf8_stop), _SURELY_UTF8))
    if chinese >= _SURELY_UTF8:
        raise _damaged(name, "utf-8", utf8_stop, _line_of(data, utf8_stop))
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(data, final=final)
    except UnicodeDecodeError as exc:
        if chinese >= 2 or (chinese and exc.start <= utf8_stop):
            raise _damaged(name, "utf-8", utf8_stop, _line_of(data, utf8_stop)) from None
        if not data[:exc.start].isascii():
            raise _damaged(name, "gb18030", exc.start, _line_of(data, exc.start)) from None
    else:
        if _looks_like_text(text):
            return text, "gb18030"
    raise UnreadableFile(f"{name}: not text in UTF-8 or GB18030; convert it with iconv or save it as UTF-8")


# A Chinese character in UTF-8 (U+4E00…U+9FFF). GB18030 text reads as one by chance, never as three before UTF-8
# fails on it: that many say the file is UTF-8, damaged where it fails, even if GB18030 could read it all.
_CHINESE_UTF8 = re.compile(rb"[\xe4-\xe9][\x80-\xbf]{2}")
_SURELY_UTF8 = 3


def _line_of(data: bytes, byte: int, encoding: str = "utf-8") -> int:
    newline = "\n".encode(encoding)
    return data.count(newline, 0, byte) + 1 if len(newline) == 1 else data[:byte].decode(encoding).count("\n") + 1


def _damaged(name: str, encoding: str, byte: int, line: int) -> DamagedText:
    """The message for damaged text: UTF-8 is mended or saved again; GB18030 damage may be another encoding."""
    codec = encoding[:6] if encoding.startswith(_WIDE) else encoding
    if encoding == "gb18030":
        advice = "the file is damaged, or in another encoding; convert it with iconv or save it as UTF-8"
    else:
        advice = "the file is damaged or mixes encodings; mend that line or save the file as UTF-8 again"
    return DamagedText(f"{name}: invalid {codec} at byte {byte} (line {line}): {advice}", encoding)


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return control <= len(sample) * 0.01


def _pdf_text(name: str, data: bytes) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc).lower()
        if "password" in reason:
            raise UnreadableFile(f"{name}: PDF is encrypted (password-protected); decrypt it first, "
                                 "e.g. qpdf --decrypt in.pdf out.pdf") from exc
        raise UnreadableFile(f"{name}: PDF is damaged or truncated ({exc}); re-download or re-export it") from exc
    pages = []
    try:
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
            page.close()
    except pdfium.PdfiumError as exc:
        raise UnreadableFile(f"{name}: PDF page {len(pages) + 1} cannot be read ({exc}); re-export the PDF") from exc
    finally:
        pdf.close()
    if not "".join(pages).strip():
        raise UnreadableFile(f"{name}: PDF has no text layer (a scan?); run OCR first, e.g. ocrmypdf")
    # A form feed line marks each page break; cleaning drops it and notes the page start.
    return "\n\f\n".join(page.strip("\n") for page in pages)


def _docx_text(name: str, data: bytes) -> str:
    import io
    import zipfile

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        # A .docx is zipped XML: a few megabytes may unpack to gigabytes, which the XML parser would hold. zipfile
        # never unpacks more than a part's stated size, so the stated sizes bound it.
        with zipfile.ZipFile(io.BytesIO(data)) as packed:
            unpacked = sum(part.file_size for part in packed.infolist() if part.filename.endswith((".xml", ".rels")))
        if unpacked > (limit := max_bytes()):
            raise UnreadableFile(f"{name}: its text unpacks to {unpacked / 2**20:.0f} MB, more than the "
                                 f"{limit / 2**20:.0f} MB limit; split the compilation or set HUIQI_MAX_MB")
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile(f"{name}: not a valid .docx (damaged or another format); "
                             "re-save it from Word or WPS as .docx") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = []
                for cell in row.cells:  # merged cells repeat; keep each text once per row
                    text = cell.text.replace("\n", " ").strip()
                    if not cells or cells[-1] != text:
                        cells.append(text)
                lines.append("\t".join(cells))
    return "\n".join(lines)


class _HtmlText(html.parser.HTMLParser):
    """Block elements become lines, table cells become tab-separated columns; script and style vanish."""

    BLOCKS: ClassVar[set[str]] = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "title", "section",
              "article", "table", "ul", "ol", "blockquote", "pre", "hr", "dd", "dt"}
    SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data.replace("\n", " "))


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = ("".join(parser.parts)).split("\n")
    return "\n".join(line.strip(" \t") for line in lines if line.strip())
