"""Parsing: a source file's text → Documents with metadata and provision trees (read → clean → split → parse)."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from huiqi import layout as layout_
from huiqi import metadata, provisions, regions
from huiqi.clean import clean
from huiqi.read import SourceText
from huiqi.records import Document
from huiqi.split import DocumentSpan, split


@dataclass
class ParsedSource:
    source: SourceText
    compilation_title: str | None
    documents: list[Document]


def parse_source(source: SourceText) -> ParsedSource:
    compilation = split(clean(source.lines))
    documents = [parse_document(span, source.name) for span in compilation.documents]
    _settle_regions(documents, compilation.title)
    _assign_ids(documents, source.name)
    return ParsedSource(source, compilation.title, documents)


def parse_document(span: DocumentSpan, source_name: str) -> Document:
    layout = layout_.analyse(span)
    meta = metadata.extract(layout, span)
    region = meta.region
    document = Document(
        id="", title=meta.title, doc_number=meta.doc_number, issuers=meta.issuers, date=meta.date,
        genre=meta.genre, level=region.level if region else None, region=region.name if region else None,
        region_code=region.code if region else None, effective_from=meta.effective_from,
        effective_to=meta.effective_to, category=span.category, attachments=meta.attachments,
        source=source_name, source_lines=(span.lines[0].first, span.lines[-1].last),
        warnings=span.warnings + meta.warnings, toc_title=span.toc_title)
    document.provisions = provisions.build(layout, meta.title)
    if meta.region_from_context:
        document.warnings.append("issuer names no place (省…/市…); region taken from the compilation")
        document.level = "pending"
    return document


def _settle_regions(documents: list[Document], compilation_title: str | None) -> None:
    """A bare '省财政厅' belongs to the province the rest of the compilation (or its cover) names."""
    local = Counter(d.region_code for d in documents if d.region_code and d.level not in (None, "national"))
    code = local.most_common(1)[0][0] if local else None
    found = regions.lookup_code(code) if code else None
    if found is None and compilation_title:
        named = regions.regions_in(compilation_title)
        found = named[0] if named else None
    for document in documents:
        if document.level != "pending":
            continue
        document.level = found.level if found else None
        document.region, document.region_code = (found.name, found.code) if found else (None, None)


def _assign_ids(documents: list[Document], source_name: str) -> None:
    """Stable ids: the same document in the same file keeps its id across re-ingests and line shifts."""
    seen: Counter[str] = Counter()
    for document in documents:
        key = f"{source_name}\n{document.title}\n{document.doc_number or ''}"
        seen[key] += 1
        if seen[key] > 1:
            key += f"\n{seen[key]}"
        document.id = hashlib.blake2s(key.encode(), digest_size=6).hexdigest()
