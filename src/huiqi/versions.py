"""Versions of one text: a later version ends the one before it.

公司法 as revised in 2023 is the same law as its 2018 text, and once the 2023 text takes effect the 2018 one is no
longer in force, though nothing in the 2018 text says so. Two documents are versions of one text when they have
the same title (version notes such as （2018年修正） or （试行） aside), come from the same place and, where both
name their issuers, share one (two organs of a place may each issue a 实施意见 of that name). The version that
takes effect later ends each earlier one the day before.

The links follow from the library as it is, so they change as versions arrive and leave; the store keeps them
in step in the same transaction as each write.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from huiqi import organs

# '（2018年修正）', '(2023修订)', '（试行）', '（2019年本）', '（2023年版）', anywhere in a title: an 印发 notice
# quotes its 办法 with the note ('关于印发《…办法（试行）》的通知')
_VERSION_NOTE = re.compile(r"[（(]\s*(?:\d{4}\s*年?\s*)?(?:修正|修订|修正本|修订本|修订版|版|本|试行|暂行)\s*[）)]")


@dataclass(frozen=True)
class Edition:
    """What decides whether one document follows another."""

    id: str
    title: str
    region_code: str | None
    issuers: tuple[str, ...]
    start: date | None  # the day it takes effect: its effective_from, else its date


@dataclass(frozen=True)
class Link:
    """The version that ends a document, and the day it takes effect (the document's last day is the day before)."""

    superseded_by: str
    superseded_on: date


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
