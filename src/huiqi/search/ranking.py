"""How the lexical candidates are reordered before they are shown: by how much of the question they cover, whether
they hold the kind of answer asked for, and whether a later text has replaced them; and how many candidates a
search of k hits reranks."""

from __future__ import annotations

import re

from huiqi.search.results import Hit
from huiqi.search.units import LEAD_IN_CHARS, lead_in

RERANK_DEPTH = 50  # hits reranked by coverage of the question's words
COVERAGE_WEIGHT = 0.5
ANSWER_SHAPE_BONUS = 0.3  # a hit that holds the kind of answer asked for (an amount, a duration …)
REPLACED_WEIGHT = 0.5
# Closing clauses ('本办法自2024年3月1日起施行。原……同时废止。', '由……负责解释。') and a list's lead-in share
# words with many questions and answer almost none: unless they hold the kind of answer asked for, they count less.
BOILERPLATE = re.compile(r"(?:本[^，。]{1,12}(?:自[^。]{2,30}起施行|由[^。]{2,30}负责解释|同时废止)[^。]*。)+"
                         r"(?:[^。]{0,80}同时废止。)?")
BOILERPLATE_WEIGHT = 0.5


def rerank(hits: list[Hit], matched: dict[tuple[str, str], list[str]], words: list[str],
           answer: re.Pattern | None, day: str) -> list[Hit]:
    """Rerank by how many of the question's own words a hit (its document title and text) contains: BM25
    adds up evidence word by word, so one rare word repeated can outweigh a provision that answers the whole
    question; coordination (as classic Lucene did) rewards covering it. A hit whose text holds the kind of
    answer the question asks for (an amount for 多少, a duration for 多久) gains a little more. A document that a later
    version of it, or a text that repeals it, has replaced by `day` (YYYY-MM-DD) ranks below: the two say much the
    same, and the one in force is the answer."""
    for hit in hits:
        title, text = matched[(hit.doc_id, hit.eid)]  # normalised when indexed
        if replaced(hit, day):
            hit.score *= REPLACED_WEIGHT
        if words:
            coverage = sum(1 for word in words if word in title or word in text) / len(words)
            hit.score *= (1 - COVERAGE_WEIGHT) + COVERAGE_WEIGHT * coverage
        if answer and answer.search(text):
            hit.score *= 1 + ANSWER_SHAPE_BONUS
        elif says_little(text):
            hit.score *= BOILERPLATE_WEIGHT
    return sorted(hits, key=lambda hit: -hit.score)


def says_little(text: str) -> bool:
    """A closing clause, or a short text that only introduces a list (its items answer, and carry it in their
    path)."""
    return bool(BOILERPLATE.fullmatch(text)) or (lead_in(text) is not None and len(text) <= 2 * LEAD_IN_CHARS)


def candidates(k: int, group: bool) -> tuple[int, int]:
    """How many provisions to rerank for k hits, and from how many documents at least: twice as many as asked for
    (and RERANK_DEPTH at least), for the rerank can halve a hit's score and the last of k is then one from further
    down."""
    return max(2 * k, RERANK_DEPTH), 2 * k if group else 0


def group_hits(hits: list[Hit]) -> list[Hit]:
    """One hit per document, the best; the document's other hits ride along in `related`."""
    best: dict[str, Hit] = {}
    for hit in hits:
        if hit.doc_id in best:
            best[hit.doc_id].related.append({"eid": hit.eid, "citation": hit.citation, "score": round(hit.score, 4)})
        else:
            best[hit.doc_id] = hit
    return list(best.values())


def replaced(hit: Hit, day: str) -> bool:
    """Whether a later version, or a repealing text, has ended the hit's document by `day` (YYYY-MM-DD; ISO dates
    compare as strings)."""
    return bool(hit.replaced_on and hit.replaced_on <= day)
