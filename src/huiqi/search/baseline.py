"""The baseline most people start with: the file's text cut into 500-character chunks (100 overlapping),
BM25 (bm25s) over jieba tokens. Scored beside huiqi by `huiqi eval search` and `huiqi bench search`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

CHUNK, OVERLAP = 500, 100


@dataclass
class Chunk:
    source: str
    start: int  # character offset in the file's text
    text: str


class ChunkBM25:
    def __init__(self, texts: dict[str, str]) -> None:
        import warnings

        import bm25s

        with warnings.catch_warnings():  # jieba imports pkg_resources, which setuptools now warns about
            warnings.simplefilter("ignore")
            import jieba

        jieba.setLogLevel(logging.WARNING)
        self._cut = jieba.lcut
        self.chunks = [Chunk(name, start, text[start:start + CHUNK])
                       for name, text in texts.items() for start in range(0, max(1, len(text) - OVERLAP),
                                                                           CHUNK - OVERLAP)]
        self.retriever = bm25s.BM25()
        self.retriever.index([self._tokens(chunk.text) for chunk in self.chunks], show_progress=False)

    def _tokens(self, text: str) -> list[str]:
        return [token for token in self._cut(text) if token.strip()] or ["∅"]

    def search(self, query: str, k: int = 10) -> list[Chunk]:
        import numpy as np

        tokens = [t for t in self._tokens(query) if t in self.retriever.vocab_dict] or ["∅"]
        if tokens == ["∅"] and "∅" not in self.retriever.vocab_dict:
            return []
        ids, _scores = self.retriever.retrieve([tokens], k=min(k, len(self.chunks)), show_progress=False)
        return [self.chunks[i] for i in np.asarray(ids)[0]]
