"""Shared fixtures: a throw-away library, the real corpus, and builders for inputs shaped like PDF extraction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from huiqi.clean import clean
from huiqi.library import Library
from huiqi.parse import parse_document, parse_source
from huiqi.read import SourceText
from huiqi.split import split

# Dense retrieval turns itself on wherever its extra is installed; the suite tests the lexical path and the
# fusion logic (with fixed embeddings), so it runs the same with or without the 90 MB model.
os.environ["HUIQI_DENSE"] = "0"

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library(tmp_path / "home")


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the checkout")
    return CORPUS


def pdf_lines(text: str) -> list[str]:
    """Lines as PDF-to-text tools emit them: every text line followed by a blank line."""
    out: list[str] = []
    for line in text.strip("\n").split("\n"):
        out += [line, ""]
    return out


def source_of(lines: list[str], name: str = "fixture.txt") -> SourceText:
    return SourceText(path=Path(name), sha256="0" * 64, format="txt", encoding="utf-8", size=1, lines=lines)


def documents_of(text: str, pdf: bool = True):
    """Parse a compilation written as a string; `pdf` adds the blank line after every line."""
    lines = pdf_lines(text) if pdf else text.strip("\n").split("\n")
    return parse_source(source_of(lines)).documents


def spans_of(text: str, pdf: bool = True):
    lines = pdf_lines(text) if pdf else text.strip("\n").split("\n")
    return split(clean(lines)).documents


def one_document(text: str, pdf: bool = True):
    documents = documents_of(text, pdf)
    assert len(documents) == 1, [d.title for d in documents]
    return documents[0]


def parse_one_span(text: str):
    return parse_document(spans_of(text)[0], "fixture.txt")


# Minimal PDF writer, so tests need no PDF library: enough for pypdfium2 to extract a text layer.

def make_pdf(pages: list[list[str]], encrypt: bool = False) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objects) + 1 + 2 * len(pages)  # reserved below
    kids = []
    for lines in pages:
        stream = b"BT /F1 12 Tf 72 720 Td 14 TL " + b" ".join(
            b"(" + line.encode("latin-1") + b") Tj T*" for line in lines) + b" ET"
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)))
    assert add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
               + b"] /Count %d >>" % len(kids)) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    trailer_extra = b""
    if encrypt:  # a standard security handler whose user password is not empty
        encrypt_id = add(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
                         + b"> /P -44 >>")
        trailer_extra = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (encrypt_id, b"ab" * 16, b"ab" * 16)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, trailer_extra, xref)
    return bytes(out)


