"""The core records: plain dataclasses that flow from parsing to storage, search and the shells."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass
class Provision:
    """One node of a document's tree, with an Akoma-Ntoso-style eId such as `chp_2__art_15__para_1`."""

    eid: str
    kind: str  # preamble, part, chapter, section, article, paragraph, point, item, sec, sub, signature, attachment …
    num: str  # the label as printed: 第十五条, （四）, 1.
    heading: str
    text: str  # the provision's own text, without its children's
    order: int
    first_line: int
    last_line: int
    citation: str
    parent: str | None = None
    depth: int = 0


@dataclass
class Document:
    id: str
    title: str
    doc_number: str | None
    issuers: list[str]
    date: date | None
    genre: str | None
    level: str | None  # national | provincial | municipal | county
    region: str | None
    region_code: str | None  # GB/T 2260
    effective_from: date | None
    effective_to: date | None
    category: str | None
    attachments: list[str]
    source: str  # file name
    source_lines: tuple[int, int]  # 1-based first and last line in the original file
    provisions: list[Provision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    toc_title: str | None = None
    provision_count: int | None = None  # set when provisions were counted but not loaded
    # The later version of the same text that ends this one, and the day it takes effect (set by the store)
    superseded_by: str | None = None
    superseded_on: date | None = None
    # A later text that says it repeals this one ('《…》同时废止'), and the day it takes effect (set by the store)
    repealed_by: str | None = None
    repealed_on: date | None = None

    @property
    def replaced_on(self) -> date | None:
        """The first day this document is no longer in force because a later version or a repeal took effect."""
        days = [day for day in (self.superseded_on, self.repealed_on) if day]
        return min(days) if days else None

    @property
    def replaced_by(self) -> str | None:
        """The later version, or the repealing text, that took effect on `replaced_on`."""
        if self.replaced_on is None:
            return None
        return self.superseded_by if self.superseded_on == self.replaced_on else self.repealed_by

    def replacement(self) -> dict:
        """What a search hit from this document says of its replacement: nothing while none is known."""
        return {"replaced_by": self.replaced_by, "replaced_on": iso(self.replaced_on)} if self.replaced_on else {}

    def summary(self) -> dict:
        """The `huiqi docs --json` contract: one flat object per document, stable keys."""
        return {
            "id": self.id,
            "title": self.title,
            "doc_number": self.doc_number,
            "issuers": list(self.issuers),
            "date": iso(self.date),
            "genre": self.genre,
            "level": self.level,
            "region": self.region,
            "region_code": self.region_code,
            "effective_from": iso(self.effective_from),
            "effective_to": iso(self.effective_to),
            "superseded_by": self.superseded_by,
            "superseded_on": iso(self.superseded_on),
            "repealed_by": self.repealed_by,
            "repealed_on": iso(self.repealed_on),
            "category": self.category,
            "attachments": list(self.attachments),
            "source": self.source,
            "source_lines": list(self.source_lines),
            "provisions": self.provision_count if self.provision_count is not None else len(self.provisions),
            "warnings": list(self.warnings),
        }

    def to_dict(self) -> dict:
        data = self.summary()
        data["toc_title"] = self.toc_title
        data["provisions"] = [asdict(p) for p in self.provisions]
        return data


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
