"""Growing the segmentation dictionary from the library itself: terms policies put in quotation marks
(“专精特新”, “苏质贷”, “免申即享”) and runs of two to four words that recur, always together, in varied
contexts (研发费用加计扣除, 融资担保机构). A candidate is built from whole words, so it never cuts one in half
the way raw character n-grams do ('业中试' from '产业中试')."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from huiqi.search.tokens import STOPWORDS, Segmenter, normalise

_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]+$")
_QUOTED = re.compile(r"[“\"]([\u4e00-\u9fff]{2,8})[”\"]")


def grow(texts: Iterable[str], segmenter: Segmenter, min_count: int = 8, min_neighbours: int = 3) -> list[str]:
    quoted: set[str] = set()
    counts: Counter[tuple[str, ...]] = Counter()
    word_counts: Counter[str] = Counter()
    left: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
    right: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
    for text in texts:
        text = normalise(text)
        quoted.update(_QUOTED.findall(text))
        words = segmenter.jieba.cut(text)
        word_counts.update(words)
        for start in range(len(words)):
            for size in (2, 3, 4):
                run = tuple(words[start:start + size])
                if len(run) < size or not all(_HAN_WORD.match(w) for w in run):
                    break
                if not 3 <= sum(map(len, run)) <= 8 or run[0] in STOPWORDS or run[-1] in STOPWORDS:
                    continue
                counts[run] += 1
                left[run].add(words[start - 1] if start else "^")
                right[run].add(words[start + size] if start + size < len(words) else "$")
    grown = set()
    for run, count in counts.items():
        cohesion = count / min(word_counts[w] for w in run)  # the words rarely appear apart
        if (count >= min_count and cohesion >= 0.5 and len(left[run]) >= min_neighbours
                and len(right[run]) >= min_neighbours and all(len(w) > 1 for w in (run[0], run[-1]))):
            grown.add("".join(run))
    return sorted(quoted | grown)
