"""Versions of one text, and repeals: a later text ends an earlier one.

公司法 as revised in 2023 is the same law as its 2018 text, and once the 2023 text takes effect the 2018 one is no
longer in force, though nothing in the 2018 text says so. Two documents are versions of one text when they have
the same title (version notes such as （2018年修正） or （试行） aside), come from the same place and, where both
name their issuers, share one (two organs of a place may each issue a 实施意见 of that name). The version that
takes effect later ends each earlier one the day before.

A text may also end another of a different name in so many words: 增值税法 closes with '…《中华人民共和国增值税暂行
条例》同时废止', so from the day it takes effect the 暂行条例 is no longer in force. Such a repeal (read by
huiqi.repeals) names the texts it ends by title and at times by 文号; a document of that title from the same place
that took effect earlier is repealed the day the repealing text takes effect. A clause naming the text's own title
speaks of its first version (工会法 2021 still says that the 1950 工会法 is repealed): ending earlier versions is
the versions link's work.

The links follow from the library as it is, so they change as texts arrive and leave; the store keeps them in
step in the same transaction as each write.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from huiqi import organs
from huiqi import patterns as P

# '（2018年修正）', '(2023修订)', '（试行）', '（2019年本）', '（2023年版）', anywhere in a title: an 印发 notice
# quotes its 办法 with the note ('关于印发《…办法（试行）》的通知')
_VERSION_NOTE = re.compile(r"[（(]\s*(?:\d{4}\s*年?\s*)?(?:修正|修订|修正本|修订本|修订版|版|本|试行|暂行)\s*[）)]")
# '…关于印发《苏州市…办法》的通知': a repeal names the 办法 it issues ('原《苏州市…办法》同时废止'), or the notice with
# the 办法's title in 〈〉
_ISSUING = re.compile(r"关于(?:印发|转发|发布|颁布|公布)[^《〈》〉<>‹›]{0,20}[《〈<‹]([^《》〈〉<>‹›]+)[》〉>›]"
                      r"的(?:通知|公告|决定)")
_MARKS = re.compile(r"[、，,·•《》〈〉<>‹›“”\"‘’「」『』]")


@dataclass(frozen=True)
class Edition:
    """What decides whether one document follows another."""

    id: str
    title: str
    region_code: str | None
    issuers: tuple[str, ...]
    start: date | None  # the day it takes effect: its effective_from, else its date
    doc_number: str | None = None


@dataclass(frozen=True)
class Link:
    """The version (or the repealing text) that ends a document, and the day it takes effect: the document's last day
    is the day before."""

    by: str
    on: date


@dataclass(frozen=True)
class Repeal:
    """A text that a document says it repeals: its title's `text_key`, and its 文号 where one is given."""

    title_key: str
    doc_number: str | None = None


def key(title: str) -> str:
    """The title versions of one text share."""
    title = re.sub(r"\s+", "", unicodedata.normalize("NFKC", title))
    return _VERSION_NOTE.sub("", title)


def links(editions: Iterable[Edition]) -> dict[str, Link]:
    """Each document a later version ends → that version (the next to take effect). A document of no known place
    or start is linked to nothing: its versions cannot be told apart from namesakes, or ordered."""
    groups: dict[tuple[str, str], list[Edition]] = defaultdict(list)
    for edition in editions:
        if edition.region_code and edition.start:
            groups[(key(edition.title), edition.region_code)].append(edition)
    found: dict[str, Link] = {}
    for group in groups.values():
        group.sort(key=lambda edition: (edition.start, edition.id))
        for number, edition in enumerate(group):
            later = next((other for other in group[number + 1:]
                          if other.start > edition.start and _same_issuer(edition, other)), None)
            if later is not None:
                found[edition.id] = Link(later.id, later.start)
    return found


def _same_issuer(one: Edition, other: Edition) -> bool:
    if not one.issuers or not other.issuers:
        return True
    return bool({organs.canonical(name) for name in one.issuers} & {organs.canonical(name) for name in other.issuers})


def text_key(title: str) -> str:
    """The key a repeal names a text by: an 印发 notice by the text it issues, a law without the state's name
    (《行政复议条例》 is 《中华人民共和国行政复议条例》), version notes, quotation marks and enumeration commas aside
    (《…偷税、抗税…》 is …偷税抗税…; 《…适用〈行政诉讼法〉…》 is …适用《行政诉讼法》…)."""
    issuing = _ISSUING.search(title)
    return _MARKS.sub("", key(issuing.group(1) if issuing else title)).removeprefix(organs.STATE_PREFIX)


def repeal_links(editions: Iterable[Edition], repealing: Iterable[tuple[Edition, Repeal]]) -> dict[str, Link]:
    """Each document a later text repeals → the first such text to take effect. `repealing` pairs each repealing
    text with one repeal it states. The text's own title is left to `links` (its earlier versions), as are
    documents of no known place or start."""
    by_key: dict[str, list[tuple[Edition, Repeal]]] = defaultdict(list)
    for repealer, repeal in repealing:
        if repealer.region_code and repealer.start:
            by_key[repeal.title_key].append((repealer, repeal))
    found: dict[str, Link] = {}
    for edition in editions:
        if not edition.start:
            continue
        own = key(edition.title)
        ends = [repealer for repealer, repeal in by_key.get(text_key(edition.title), ())
                if repealer.region_code == edition.region_code and repealer.start > edition.start
                and key(repealer.title) != own and _same_number(repeal.doc_number, edition.doc_number)]
        if ends:
            first = min(ends, key=lambda repealer: (repealer.start, repealer.id))
            found[edition.id] = Link(first.id, first.start)
    return found


def _same_number(named: str | None, own: str | None) -> bool:
    """A 文号 the repeal gives must be the document's, where the document has one, however either is spelled."""
    named, own = (number and P.doc_number_key(number) for number in (named, own))
    return not named or not own or named == own
