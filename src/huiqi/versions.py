"""Versions of one text, and repeals: a later text ends an earlier one.

公司法 as revised in 2023 is the same law as its 2018 text, and once the 2023 text takes effect the 2018 one is no
longer in force, though nothing in the 2018 text says so. Two documents are versions of one text when they have
the same title (version notes such as （2018年修正） or （试行） aside), come from the same place and, where both
name their issuers, share one (two organs of a place may each issue a 实施意见 of that name). The version that
takes effect later ends each earlier one the day before.

A text may also end another of a different name in so many words: 增值税法 closes with '…《中华人民共和国增值税暂行
条例》同时废止', so from the day it takes effect the 暂行条例 is no longer in force. Such a repeal names the texts it
ends by title (and at times by 文号); a document of that title from the same place that took effect earlier is
repealed the day the repealing text takes effect. A clause that ends part of a text ('《…》中关于…的规定同时废止') is
no repeal of it, and a clause naming the text's own title speaks of its first version (工会法 2021 still says that
the 1950 工会法 is repealed): ending earlier versions is the versions link's work.

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
# The titles a text repeals, each with its 文号 where one is given: '原《A》（苏府规〔2019〕3号）、《B》同时废止' (or
# '…自本通知印发之日起不再执行') closing a text, and '决定废止原…印发的《A》' in a notice that repeals. The titles must
# be listed together ('、', '和1993年…发布的'): '《A》中关于…的规定同时废止' and '决定废止《A》第三条' repeal only part
# of A, and '根据《立法法》' cites a text, repealing nothing. Read with plain patterns and a walk along the list,
# never one pattern of repeated optional parts: those take exponential time on a long list of titles.
_NOTE = r"[（(](?:[^（）()《》]|[（(][^（）()《》]{0,12}[）)]){1,40}[）)]"  # '(苏府规（2019）3号)' too
_TITLE = re.compile(rf"《((?:[^《》]|《[^《》]{{0,60}}》){{2,80}})》\s*({_NOTE})?")
_JOINED = re.compile(r"\s*(?:、|，|,|和|及|与|以及)[^《》。；]{0,40}")  # between two titles of one list
_CITED = re.compile(r"(?:根据|依据|依照|按照|参照|对照)\s*$")
_CLOSING = re.compile(r"(?:都|均|也)?\s*(?:自[^《》。；，]{2,20}起\s*)?"
                      r"(?:(?:同时|即行|予以)?废止|(?:同时)?(?:不再|停止)执行|同时失效)(?=[。；，,\s]|$)")
_DECIDED = re.compile(r"决定(?:予以)?废止[^《》。；，]{0,20}")
_SENTENCE_MARKS = "。；\n"
_SENTENCE_END = re.compile(f"[{_SENTENCE_MARKS}]")
_LIST_END = re.compile(r"\s*(?:等[^《》。；]{0,12})?")  # '决定废止《A》、《B》等2件文件'
_GENERIC = re.compile(r"(?:实施|管理|暂行|试行|若干|有关|具体|问题|的)*"
                      r"(?:条例|办法|规定|细则|规则|意见|通知|决定|解释|方案|措施)?")  # '《实施细则》': no one text
REPEAL_WORDS = ("废止", "不再执行", "停止执行", "失效")  # a provision that repeals says one of them
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


def repeals(texts: Iterable[str]) -> list[Repeal]:
    """The texts a document's provisions say it repeals, each once."""
    found: dict[Repeal | None, None] = {}
    for text in texts:
        for clause in _CLOSING.finditer(text):
            start = max(text.rfind(mark, 0, clause.start()) for mark in _SENTENCE_MARKS) + 1
            titles = _listed(text[start:clause.start()], from_end=True)
            found.update(dict.fromkeys(_repeal(title) for title in titles))
        for decision in _DECIDED.finditer(text):
            end = _SENTENCE_END.search(text, decision.end())
            sentence = text[decision.end():end.start() if end else len(text)]
            titles = _listed(sentence, from_end=False)
            if titles and _LIST_END.fullmatch(sentence[titles[-1].end():]):
                found.update(dict.fromkeys(_repeal(title) for title in titles))
    return [repeal for repeal in found if repeal is not None]


def _listed(sentence: str, from_end: bool) -> list[re.Match]:
    """The titles listed together at the end of `sentence` (or at its start), in reading order."""
    titles = list(_TITLE.finditer(sentence))
    if from_end:
        titles.reverse()
    if not titles or (sentence[titles[0].end():] if from_end else sentence[:titles[0].start()]).strip():
        return []
    listed: list[re.Match] = []
    for title in titles:
        if listed:
            left, right = (title, listed[-1]) if from_end else (listed[-1], title)
            if not _JOINED.fullmatch(sentence[left.end():right.start()]):
                break
        if _CITED.search(sentence, max(0, title.start() - 6), title.start()):
            break
        listed.append(title)
    return listed[::-1] if from_end else listed


def _repeal(title: re.Match) -> Repeal | None:
    """None for a title that names no one text ('《实施细则》同时废止' means the repealing text's own 细则)."""
    name, note = title.groups()
    named = text_key(name)
    if _GENERIC.fullmatch(named):
        return None
    return Repeal(named, P.normalise_doc_number(note) if note else None)


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
    """A 文号 the repeal gives must be the document's, where the document has one."""
    own = own and P.normalise_doc_number(own)
    return not named or not own or named == own
