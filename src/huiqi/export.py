"""Exports of one document: JSON (the full record), Markdown (for reading), Akoma Ntoso 3.0 XML (for exchange).

The AKN export is an `<act>` when the document has articles (a regulation) and a `<doc>` otherwise (a 公文),
with FRBR Work/Expression/Manifestation identification, the provision eIds as `eId` attributes, the 署名 in
`<conclusions>` and each attachment as an `<attachment>` holding its own `<doc>`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

from huiqi.errors import BadRequest
from huiqi.records import Document, Provision, iso

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
FORMATS = ("json", "markdown", "akn")
_ELEMENT = {"part": "part", "chapter": "chapter", "section": "section", "article": "article",
            "paragraph": "paragraph", "point": "point", "indent": "indent", "item": "level", "sub": "level"}


def render(document: Document, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document.to_dict(), ensure_ascii=False, indent=2, default=str)
    if fmt == "markdown":
        return markdown(document)
    if fmt == "akn":
        return akoma_ntoso(document)
    raise BadRequest(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


# Markdown --------------------------------------------------------------------------------------------------

def markdown(document: Document) -> str:
    facts = [("文号", document.doc_number), ("发文机关", "、".join(document.issuers)),
             ("成文日期", iso(document.date)), ("文种", document.genre), ("地区", document.region),
             ("施行", iso(document.effective_from)), ("有效期至", iso(document.effective_to)),
             ("来源", f"{document.source} 第{document.source_lines[0]}–{document.source_lines[1]}行")]
    out = [f"# {document.title}", ""]
    out += [f"- {name}：{value}" for name, value in facts if value]
    out.append("")
    for provision in document.provisions:
        label = " ".join(part for part in (provision.num, provision.heading) if part)
        if provision.kind in ("part", "chapter", "section", "attachment") and label:
            out += [f"{'#' * min(6, provision.depth + 2)} {label}", ""]
            if provision.text:
                out += [provision.text, ""]
        elif provision.text or label:
            body = provision.text if not label else f"**{label}** {provision.text}".strip()
            out += [("  " * max(0, provision.depth - 1)) + body.replace("\n", "\n\n"), ""]
    return "\n".join(out).rstrip() + "\n"


# Akoma Ntoso -----------------------------------------------------------------------------------------------

def akoma_ntoso(document: Document) -> str:
    ET.register_namespace("", AKN_NS)
    root = ET.Element(_q("akomaNtoso"))
    is_act = any(p.kind == "article" for p in document.provisions if not p.eid.startswith("att_"))
    main = ET.SubElement(root, _q("act" if is_act else "doc"), name=document.genre or "document")
    main_provisions = [p for p in document.provisions if not p.eid.startswith("att_")]
    _meta(main, document, document.title, "!main", "act" if is_act else "doc")
    preface = ET.SubElement(main, _q("preface"))
    title_p = ET.SubElement(preface, _q("p"))
    ET.SubElement(title_p, _q("docTitle")).text = document.title
    if document.doc_number:
        ET.SubElement(ET.SubElement(preface, _q("p")), _q("docNumber")).text = document.doc_number
    if document.date:
        ET.SubElement(ET.SubElement(preface, _q("p")), _q("docDate"), date=document.date.isoformat()).text = (
            f"{document.date.year}年{document.date.month}月{document.date.day}日")
    preamble = [p for p in main_provisions if p.kind == "preamble"]
    if preamble:
        block = ET.SubElement(main, _q("preamble"))
        for provision in preamble:
            _paragraphs(block, provision.text)
    body = ET.SubElement(main, _q("body" if is_act else "mainBody"))
    _hierarchy(body, [p for p in main_provisions if p.kind not in ("preamble", "signature", "attachment_list")],
               None)
    if len(body) == 0:
        _paragraphs(body if not is_act else ET.SubElement(body, _q("paragraph"), eId="para_1"), "")
    closing = [p for p in main_provisions if p.kind in ("attachment_list", "signature")]
    if closing:
        conclusions = ET.SubElement(main, _q("conclusions"))
        for provision in closing:
            _paragraphs(conclusions, provision.text)
    attachments = [p for p in document.provisions if p.kind == "attachment"]
    if attachments:
        holder = ET.SubElement(main, _q("attachments"))
        for attachment in attachments:
            _attachment(holder, document, attachment)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _meta(parent: ET.Element, document: Document, name: str, component: str, kind: str = "doc") -> None:
    meta = ET.SubElement(parent, _q("meta"))
    identification = ET.SubElement(meta, _q("identification"), source="#huiqi")
    day = (document.date or date(1900, 1, 1)).isoformat()
    work = f"/akn/cn/{kind}/{day}/{document.id}"
    for level, uri in (("FRBRWork", work), ("FRBRExpression", f"{work}/zho@{day}"),
                       ("FRBRManifestation", f"{work}/zho@{day}")):
        frbr = ET.SubElement(identification, _q(level))
        ET.SubElement(frbr, _q("FRBRthis"), value=f"{uri}/{component}")
        ET.SubElement(frbr, _q("FRBRuri"), value=uri)
        ET.SubElement(frbr, _q("FRBRdate"), date=day, name="成文日期" if document.date else "unknown")
        ET.SubElement(frbr, _q("FRBRauthor"), href="#issuer_1")
        if level == "FRBRWork":
            ET.SubElement(frbr, _q("FRBRcountry"), value="cn")
            if document.doc_number:
                ET.SubElement(frbr, _q("FRBRnumber"), value=document.doc_number)
            ET.SubElement(frbr, _q("FRBRname"), value=name)
        elif level == "FRBRExpression":
            ET.SubElement(frbr, _q("FRBRlanguage"), language="zho")
    if component != "!main":
        return  # an attachment's authors are the main document's: the references are declared once
    references = ET.SubElement(meta, _q("references"), source="#huiqi")
    ET.SubElement(references, _q("TLCOrganization"), eId="huiqi", href="/ontology/organization/huiqi",
                  showAs="huiqi")
    for index, issuer in enumerate(document.issuers or ["未知"]):
        ET.SubElement(references, _q("TLCOrganization"), eId=f"issuer_{index + 1}",
                      href=f"/ontology/organization/cn/{issuer}", showAs=issuer)


def _hierarchy(parent: ET.Element, provisions: list[Provision], parent_eid: str | None) -> None:
    for provision in (p for p in provisions if p.parent == parent_eid):
        children = [p for p in provisions if p.parent == provision.eid]
        element = ET.SubElement(parent, _q(_ELEMENT.get(provision.kind, "level")), eId=provision.eid)
        if provision.num:
            ET.SubElement(element, _q("num")).text = provision.num
        if provision.heading:
            ET.SubElement(element, _q("heading")).text = provision.heading
        if children:
            if provision.text:
                _paragraphs(ET.SubElement(element, _q("intro")), provision.text)
            _hierarchy(element, provisions, provision.eid)
        else:
            _paragraphs(ET.SubElement(element, _q("content")), provision.text)


def _attachment(holder: ET.Element, document: Document, attachment: Provision) -> None:
    element = ET.SubElement(holder, _q("attachment"), eId=attachment.eid)
    ET.SubElement(element, _q("num")).text = attachment.num
    doc = ET.SubElement(element, _q("doc"), name="attachment")
    _meta(doc, document, attachment.heading, attachment.eid)
    preface = ET.SubElement(doc, _q("preface"))
    ET.SubElement(ET.SubElement(preface, _q("p")), _q("docTitle")).text = attachment.heading
    body = ET.SubElement(doc, _q("mainBody"))
    if attachment.text:
        _paragraphs(body, attachment.text)
    inside = [p for p in document.provisions if p.eid.startswith(attachment.eid + "__")]
    _hierarchy(body, inside, attachment.eid)
    if len(body) == 0:
        _paragraphs(body, "")


def _paragraphs(parent: ET.Element, text: str) -> None:
    for line in text.split("\n") if text else [""]:
        ET.SubElement(parent, _q("p")).text = line


def _q(tag: str) -> str:
    return f"{{{AKN_NS}}}{tag}"
