"""Parsing: a source file's text → Documents with metadata and provision trees (read → clean → split → parse)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from huiqi import layout as layout_
from huiqi import metadata, provisions, regions
from huiqi.clean import clean
from huiqi.read import SourceText
from huiqi.records import Document
from huiqi.split import DocumentSpan, split

# Bump whenever a change to reading, cleaning, splitting or parsing changes what a file yields: files already in a
# library are then parsed again on their next ingest, although their bytes did not change.
# 3: control characters (C0 but tab and line feed, C1) are read as spaces; a document that names no issuer, in a
#    compilation of national policies only, is national; so is one whose issuer's name begins with a central
#    organ's (最高人民检察院第九届检察委员会, 中华人民共和国海关总署, 政务院).
# 4: a law's event lines include '国务院批准' and '海关总署第61号令发布', so the organ that issued it is found;
#    '最高人民检察院第十二届检察委员会' and '最高人民法院公告' name the organ alone.
# 5: a revised law is dated by its latest revision and a 施行 line printed with its title; event lines in more forms
#    (several joined by 根据, after a subtitle); a licence's 有效期 is not the document's; legislation filed alone
#    whose title names no place is national.
# 6: a file holding one text whose text prints no date is dated by its name ('…(2015-04-22).md').
# 7: that date is the text's own as it is read, so 自公布之日起施行 and 有效期N年 count from it; a 公告 number's year
#    is checked against it as a 文号's is.
# 8: bidirectional controls (U+202E …) are cleaned away as other control characters are.
PARSER_VERSION = "8"


@dataclass
class ParsedSource:
    source: SourceText
    compilation_title: str | None
    documents: list[Document]


def parse_source(source: SourceText) -> ParsedSource:
    compilation = split(clean(source.lines))
    named = _named_date(source.name, len(compilation.documents))
    parsed = [_parse(span, source.name, named) for span in compilation.documents]
    _settle_regions(parsed, compilation.title)
    documents = [document for document, _hint in parsed]
    _assign_ids(documents, source.name)
    return ParsedSource(source, compilation.title, documents)


def parse_document(span: DocumentSpan, source_name: str) -> Document:
    return _parse(span, source_name)[0]


def _parse(span: DocumentSpan, source_name: str, named: date | None = None) -> tuple[Document, str | None]:
    """A document, and the region hint its issuer left to the compilation ('省' for a bare '省财政厅'). `named`: the
    date the file's name gives, for a text that prints none."""
    layout = layout_.analyse(span)
    meta = metadata.extract(layout, span, named)
    document = Document(
        id="", title=meta.title, doc_number=meta.doc_number, issuers=meta.issuers, date=meta.date,
        genre=meta.genre, level=None, region=None, region_code=None, effective_from=meta.effective_from,
        effective_to=meta.effective_to, category=span.category, attachments=meta.attachments,
        source=source_name, source_lines=(span.lines[0].first, span.lines[-1].last),
        warnings=span.warnings + meta.warnings, toc_title=span.toc_title)
    _set_region(document, meta.region)
    document.provisions = provisions.build(layout, meta.title)
    return document, meta.region_hint


def _set_region(document: Document, region: regions.Region | None) -> None:
    document.level = region.level if region else None
    document.region, document.region_code = (region.name, region.code) if region else (None, None)


def _settle_regions(parsed: list[tuple[Document, str | None]], compilation_title: str | None) -> None:
    """A bare '省财政厅' is the 省 of the place the rest of the compilation (or its cover) is about; a bare
    '市财政局' its 市. A document that names no issuer, in a compilation of national policies only, is national
    too: left without a region, every level filter would hide it."""
    local = Counter(d.region_code for d, _ in parsed if d.region_code and d.level not in (None, "national"))
    place = regions.lookup_code(local.most_common(1)[0][0]) if local else None
    if place is None and compilation_title:
        place = regions.locate(compilation_title)
    all_national = (place is None and any(d.level == "national" for d, _ in parsed)
                    and not any(hint not in (None, "?") for _, hint in parsed))  # no 省财政厅 either
    for document, hint in parsed:
        if not hint:
            continue
        unsigned = hint == "?" and not document.issuers
        by_title = unsigned and not all_national and _national_by_title(document, place)
        region = regions.NATIONAL if (unsigned and all_national) or by_title else place
        if place and hint == "省":
            region = regions.containing(place, "provincial")
        elif place and hint == "市" and place.level in ("municipal", "county"):
            region = regions.containing(place, "municipal")
        elif place and hint == "市":
            region = None
        _set_region(document, region)
        if hint != "?":
            said = f"issuer names no place ({hint}…)"
        else:
            said = "issuer names no place and is not a national organ" if document.issuers else "no issuer named"
        outcome = ("national: legislation whose title names no place" if by_title
                   else "region taken from the compilation" if region
                   else "region unknown: region filters let it through, level filters leave it out")
        document.warnings.append(f"{said}; {outcome}")


# 立法法 and the 条例 on making 行政法规 and 规章: legislation is titled 法, 条例, 规定 or 办法 (细则, 规则 for rules
# under it), and a local one names its place (江苏省…条例, 苏州市…办法)
_LEGISLATION = ("法", "法典", "条例", "规定", "办法", "细则", "规则")


def _national_by_title(document: Document, place: regions.Region | None) -> bool:
    """A piece of legislation alone, with no issuer and no place around it, whose title names no place, is national
    (保障中小企业款项支付条例)."""
    return place is None and document.genre in _LEGISLATION and regions.locate(document.title) is None


# A file named with a date, as law databases name their exports ('公司法(2023-12-29).md', '…_20231229.txt')
_NAMED_DATE = re.compile(r"[(（\[【_\s-]((?:19|20)\d{2})-?(\d{2})-?(\d{2})[)）\]】]?$")


def _named_date(source_name: str, documents: int) -> date | None:
    """The date the file's name gives ('公司法(2023-12-29).md', '…_20231229.txt'), for a file holding one text: a
    compilation's name dates the compilation, not each text in it."""
    named = _NAMED_DATE.search(PurePath(source_name).stem)
    if documents != 1 or not named:
        return None
    try:
        return date(*(int(part) for part in named.groups()))
    except ValueError:  # '(2023-13-45)'
        return None


def _assign_ids(documents: list[Document], source_name: str) -> None:
    """Stable ids: the same document in the same file keeps its id across re-ingests and line shifts."""
    seen: Counter[str] = Counter()
    for document in documents:
        key = f"{source_name}\n{document.title}\n{document.doc_number or ''}"
        seen[key] += 1
        if seen[key] > 1:
            key += f"\n{seen[key]}"
        document.id = hashlib.blake2s(key.encode(), digest_size=6).hexdigest()
