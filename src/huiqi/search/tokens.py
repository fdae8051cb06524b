"""Search text: normalisation and segmentation shared by indexing and querying, so both sides agree.

Words come from rjieba (jieba-rs) in search mode with a policy-domain dictionary; character bigrams of every
Chinese run are indexed beside them, so two-character queries (贴息, 退税, 中试) and words the dictionary
lacks still match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

import opencc
import rjieba

from huiqi.patterns import CJK

_HAN_RUN = re.compile(f"[{CJK}]+")
_WORD = re.compile(rf"[{CJK}]|[a-z0-9]+(?:[.%][0-9]+)?%?")
_PARENTHESISED_CHAR = re.compile(rf"(?<=[{CJK}])\(([{CJK}])\)")  # 首台(套) → 首台套
_BREAK_BETWEEN_HAN = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])")
STOPWORDS = frozenset(
    "的 了 和 与 及 或 等 在 对 为 是 把 被 将 由 以 于 之 其 该 这 那 也 都 而 并 从 向 按 给 所 "
    "有关 进行 相关".split()
)


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s.json")


def normalise(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case, PDF line breaks between Chinese
    characters joined, '首台（套）' → '首台套'."""
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text).lower()
    text = _BREAK_BETWEEN_HAN.sub("", text)
    return _PARENTHESISED_CHAR.sub(r"\1", text)


class Segmenter:
    """rjieba with the domain dictionary loaded; one instance per search index."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.jieba = rjieba.Jieba()
        self.terms: set[str] = set()
        self.add_terms(terms)

    def add_terms(self, terms: Iterable[str]) -> None:
        for term in terms:
            term = normalise(term.strip())
            if 2 <= len(term) <= 16 and term not in self.terms:
                self.jieba.add_word(term, 200000, "n")
                self.terms.add(term)

    def add_words(self, words: Iterable[str]) -> None:
        """Words known at the frequency that just keeps each one whole ('个转企', not 个/转/企有), so that a
        longer reading around them still wins ('居民企业' stays 居民/企业 although 民企 is known)."""
        for word in words:
            if len(word) >= 2:
                self.jieba.add_word(normalise(word), None, None)

    def frequency(self, word: str) -> int:
        """How often the dictionary counts `word` (jieba's counts: 德国 9,604, 技校 56; a word it lacks, about 1)."""
        return self.jieba.suggest_freq(word)

    def words(self, text: str, normalised: bool = False) -> list[str]:
        """Search-mode words (long words and the shorter words inside them), stopwords and punctuation out."""
        text = text if normalised else normalise(text)
        out = []
        for token in self.jieba.cut_for_search(text):
            token = token.strip()
            if token and token not in STOPWORDS and _WORD.match(token):
                out.append(token)
        return out


def bigrams(text: str, normalised: bool = False) -> list[str]:
    """Overlapping character bigrams of each Chinese run; a one-character run stands as itself."""
    text = text if normalised else normalise(text)
    grams: list[str] = []
    for run in _HAN_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i:i + 2] for i in range(len(run) - 1))
    return grams


def hand_kept_terms() -> list[str]:
    text = resources.files("huiqi").joinpath("data/terms.txt").read_text(encoding="utf-8")
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]
