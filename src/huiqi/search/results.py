"""What a search takes and gives: the filters a user sets, read and checked as they come; the hits, and what a
question names outright."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from huiqi import patterns as P
from huiqi.errors import BadRequest
from huiqi.search.query import CitedArticle
from huiqi.search.tokens import normalise

# The genre a filter names → those documents are filed under (metadata.genre_of): 实施意见 are 意见; a law (法律)
# is titled 法, 法典 (民法典) or 修正案 (刑法修正案)
GENRE_NAMES = {**{genre: (P.GENRE_ROOT.get(genre, genre),) for genre in P.GENRES}, "法律": ("法", "法典", "修正案")}

# What users call a level → the level as stored
LEVELS = {"national": "national", "国家": "national", "国家级": "national", "中央": "national",
          "provincial": "provincial", "省": "provincial", "省级": "provincial",
          "municipal": "municipal", "市": "municipal", "市级": "municipal",
          "county": "county", "县": "county", "县级": "county", "区县": "county"}


@dataclass
class Filters:
    region: str | None = None  # a name (江苏, 苏州市) or a GB/T 2260 code; national policies always match
    level: str | None = None  # national | provincial | municipal | county
    issuer: str | None = None  # any name of the organ: 发改委 finds 国家发展改革委
    genre: str | None = None  # 通知, 意见, 办法 …
    date_from: date | str | None = None  # a string is read as YYYY-MM-DD (or YYYYMMDD), full-width digits too
    date_to: date | str | None = None
    in_force: date | str | None = None  # effective on this day

    def __post_init__(self) -> None:
        """Values are read like queries (發改委 is 发改委; a region is folded when it is looked up) and an empty one
        is no filter, as a form's empty field means; a filter that can match nothing is a mistake to report, not an
        empty result."""
        self.region = (self.region or "").strip() or None
        for name in ("level", "issuer", "genre"):
            setattr(self, name, normalise(getattr(self, name) or "").strip() or None)
        if self.level is not None:
            self.level = LEVELS.get(self.level, self.level)
            if self.level not in LEVELS.values():
                raise BadRequest(f"unknown level {self.level!r}; use national (国家级), provincial (省级), "
                                 "municipal (市级) or county (县级)")
        if self.genre is not None:
            if self.genre not in GENRE_NAMES:
                raise BadRequest(f"unknown genre {self.genre!r}; use the kind of document a title ends with: 通知, "
                                 "意见, 办法, 条例, 规定, 决定, 公告, 方案, 措施, 细则, 法律 …")
            filed = GENRE_NAMES[self.genre]
            self.genre = filed[0] if len(filed) == 1 else self.genre
        for name in ("date_from", "date_to", "in_force"):
            setattr(self, name, read_day(getattr(self, name)))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadRequest(f"the date range is empty: {self.date_from} is after {self.date_to}")


@dataclass
class Hit:
    doc_id: str
    doc_title: str
    eid: str
    citation: str
    text: str
    score: float
    source: str
    source_lines: list[int]
    # The later version, or the repealing text, that ends the hit's document, and the day it takes effect (YYYY-MM-DD)
    replaced_by: str | None = None
    replaced_on: str | None = None
    related: list[dict] = field(default_factory=list)  # other hits in the same document, when grouped

    def to_dict(self) -> dict:
        """The documented hit; replaced_by and replaced_on where the document is replaced, related where grouped."""
        data = asdict(self)
        for name in ("replaced_by", "replaced_on", "related"):
            if not data[name]:
                data.pop(name)
        data["score"] = round(self.score, 4)
        return data


@dataclass(frozen=True)
class Named:
    """What a question names outright: articles by their text's title ('公司法第十条'), documents by 文号 (as index
    keys), and the question without the 文号 ('' when it asks for nothing more than those documents)."""
    articles: list[CitedArticle]
    numbers: list[str]
    rest: str

    @property
    def listed(self) -> bool:
        """Answered with provisions as they are read, not ranked."""
        return bool(self.articles) or (bool(self.numbers) and not self.rest)


@dataclass
class SearchResult:
    query: str
    took_ms: float
    hits: list[Hit]

    def to_dict(self) -> dict:
        return {"query": self.query, "took_ms": round(self.took_ms, 2), "hits": [h.to_dict() for h in self.hits]}


def read_day(value: date | str | None) -> date | None:
    if not isinstance(value, str):
        return value
    text = normalise(value).strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise BadRequest(f"{value!r} is not a date; use YYYY-MM-DD") from None
