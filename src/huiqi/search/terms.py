"""Growing the segmentation dictionary from the library itself: terms policies put in quotation marks
(“专精特新”, “苏质贷”, “免申即享”) and runs of two to four words that recur, always together, in varied
contexts (研发费用加计扣除, 融资担保机构). A candidate is built from whole words, so it never cuts one in half
the way raw character n-grams do ('业中试' from '产业中试')."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator

from huiqi.search.tokens import STOPWORDS, Segmenter, normalise

_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]+$")
_QUOTED = re.compile(r"[“\"]([\u4e00-\u9fff]{2,8})[”\"]")
_JOIN = "\x1f"  # between the words of a run: a string key takes far less memory than a tuple of words


def grow(texts: Callable[[], Iterable[str]], segmenter: Segmenter, min_count: int = 8,
         min_neighbours: int = 3) -> list[str]:
    """`texts()` is read twice: once to count every run of words, then to see the neighbours of the few that recur
    and hold together. Keeping the neighbours of every run took 1.3 GB on 180,000 provisions."""
    quoted: set[str] = set()
    counts: Counter[str] = Counter()
    word_counts: Counter[str] = Counter()
    for words in _segmented(texts(), segmenter, quoted):
        word_counts.update(words)
        counts.update(run for _, run in _runs(words))

    def cohesive(run: str, count: int) -> bool:
        words = run.split(_JOIN)  # rarely apart; no one-character word at either end
        return count / min(word_counts[w] for w in words) >= 0.5 and len(words[0]) > 1 and len(words[-1]) > 1

    candidates = {run for run, count in counts.items() if count >= min_count and cohesive(run, count)}
    del counts  # the bulk: every distinct run
    left: defaultdict[str, set[str]] = defaultdict(set)
    right: defaultdict[str, set[str]] = defaultdict(set)
    firsts = {run.split(_JOIN, 1)[0] for run in candidates}
    for words in _segmented(texts(), segmenter, set()):
        for start, run in _runs(words, firsts):
            if run in candidates:
                size = run.count(_JOIN) + 1
                left[run].add(words[start - 1] if start else "^")
                right[run].add(words[start + size] if start + size < len(words) else "$")
    grown = {run.replace(_JOIN, "") for run in candidates
             if len(left[run]) >= min_neighbours and len(right[run]) >= min_neighbours}
    return sorted(quoted | grown)


def _segmented(texts: Iterable[str], segmenter: Segmenter, quoted: set[str]) -> Iterator[list[str]]:
    for text in texts:
        text = normalise(text)
        quoted.update(_QUOTED.findall(text))
        yield segmenter.jieba.cut(text)


def _runs(words: list[str], firsts: set[str] | None = None) -> Iterator[tuple[int, str]]:
    """(start, run) for each run of two to four Han words, 3 to 8 characters, not starting or ending in a
    stopword; only those starting with one of `firsts` when given."""
    han = [_HAN_WORD.match(word) is not None for word in words]  # each word once, not once per run it is in
    for start, first in enumerate(words):
        if not han[start] or first in STOPWORDS or (firsts is not None and first not in firsts):
            continue
        chars = len(first)
        for end in range(start + 1, min(start + 4, len(words))):
            chars += len(words[end])
            if not han[end] or chars > 8:  # a longer run holds the same word, or more characters
                break
            if chars >= 3 and words[end] not in STOPWORDS:
                yield start, _JOIN.join(words[start:end + 1])
