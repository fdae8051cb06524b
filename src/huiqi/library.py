"""The Python API: `Library(home).ingest(...)`, `.documents()`, `.document(id)`, `.export(id, fmt)`.

The CLI and the HTTP API are thin shells over this class.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from huiqi import parse, read
from huiqi.errors import BadRequest, HuiqiError, NoDocuments
from huiqi.parse import ParsedSource, parse_source
from huiqi.records import Document, Provision
from huiqi.search import Filters, SearchIndex, SearchResult
from huiqi.search import dense as dense_search
from huiqi.search.query import blank, check_length
from huiqi.search.terms import grow
from huiqi.search.units import searchable
from huiqi.store import Store, Written


@dataclass
class IngestResult:
    """What happened to one file: ingested, replaced (a changed file, or one an older parser read), unchanged
    (same bytes, same parser), duplicate (a new name for bytes the library holds under another), or failed."""

    file: str
    status: str
    documents: int = 0
    provisions: int = 0
    warnings: int = 0
    error: str | None = None
    exit_code: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what went wrong after the file was safely stored

    def to_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "documents": self.documents,
                "provisions": self.provisions, "warnings": self.warnings, "error": self.error, "notes": self.notes,
                "seconds": round(self.seconds, 3)}


def default_home() -> Path:
    return Path(os.environ.get("HUIQI_HOME") or platformdirs.user_data_dir("huiqi", appauthor=False))


class Library:
    def __init__(self, home: str | Path | None = None, dense: bool | None = None, create: bool = True) -> None:
        """`create=False` opens only a library that is there: a command that reads one must not leave a new, empty
        one behind a mistyped --home."""
        self.home = Path(home) if home else default_home()
        if not create and not self.home.is_file() and not (self.home / "huiqi.db").is_file():  # a file: below
            raise BadRequest(f"no library in {self.home} (no huiqi.db); ingest files into it first (huiqi ingest FILES"
                             " --home FOLDER), or pass --home the folder you ingested into")
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadRequest(f"cannot use {self.home} as the library folder ({exc.strerror}); pass --home a folder "
                             "(or set HUIQI_HOME)") from None
        database = self.home / "huiqi.db"
        # On a read-only disk, or a library not this user's to write: searched and read as it is
        self.read_only = not os.access(self.home, os.W_OK) or (database.exists() and not os.access(database, os.W_OK))
        if self.read_only and not database.exists():
            raise BadRequest(f"{self.home} holds no library (no huiqi.db) and cannot be written; pass --home a "
                             "library folder, or a folder you can write to ingest into")
        self.store = Store(f"sqlite:///{database}", read_only=self.read_only)
        self.dense = dense_search.wanted() if dense is None else dense
        self._index: SearchIndex | None = None
        self.left_to_writer = False  # the index was out of step while another process wrote: searched as it is
        self._dense_index: dense_search.DenseIndex | None = None
        self._dense_index_of: str | None = None  # the model its vectors came from
        self._told_stale_vectors = False
        self._told_no_vectors = False

    @property
    def _stale(self) -> Path:
        return self.home / "index" / "STALE"

    @property
    def index(self) -> SearchIndex:
        """The search index, opened on first use; rebuilt from the store if it is missing or out of step with it,
        unless another process is writing the library: that one brings the index in step, and a rebuild beside it
        would lose what it writes."""
        if self._index is None:
            path = self.home / "index"
            try:
                # Making an index anew clears its folder: one process at a time, not one under another's feet
                with nullcontext() if self.read_only or SearchIndex.made(path) else self._writing():
                    index = SearchIndex(path, read_only=self.read_only)
            except OSError as exc:  # only read-only: an index that could not be opened, nor made anew
                self._check_writable(f"its search index cannot be read ({exc})")
                raise
            # Checked before the index is kept: a read-only library refuses every search, not the first
            out_of_step = self._out_of_step(index)
            if out_of_step:
                self._check_writable("its search index is out of step with it and needs rebuilding")
            self._index = index
            self.left_to_writer = out_of_step
        if self.left_to_writer:  # at each use until it is in step: a server lives on after a writer dies
            self.left_to_writer = not self._bring_in_step(self._index)
        return self._index

    def _bring_in_step(self, index: SearchIndex) -> bool:
        """Rebuild an index found out of step, unless another process is writing the library: that one brings it
        in step, and a rebuild beside it would lose what it writes. False while it does."""
        with self._writing(wait=False) as ours:
            if ours and self._out_of_step(index):  # asked again: a writer may have finished meanwhile
                self._rebuild(recovering=True)
            return ours

    def _out_of_step(self, index: SearchIndex) -> bool:
        # An index holding entries of an empty store (its database deleted) is emptied, and one kept in step with
        # another database (huiqi.db replaced under it) rebuilt. Not by comparing counts: a library none of whose
        # provisions is indexed would be rebuilt at every open.
        empty = self.store.empty()
        return (self._stale.exists() or (index.reset and not empty) or (empty and index.count() > 0)
                or index.fingerprint not in (None, self.store.fingerprint()))

    @contextmanager
    def _writing(self, wait: bool = True) -> Iterator[bool]:
        """Held while the store and the index are written, across processes: writers take turns, and a reader
        that finds the index out of step while a writer works leaves it alone. Yields False when `wait` is off
        and another process holds it."""
        with open(self.home / "write.lock", "ab") as lock:  # the lock goes with the file
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                print("note: another process is writing this library (an ingest, remove or rebuild); waiting for it "
                      "to finish", file=sys.stderr)
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield True

    def _check_writable(self, why: str) -> None:
        if self.read_only:
            raise BadRequest(f"the library in {self.home} is read-only and {why}; run this where the folder can be "
                             "written (or copy the folder and pass --home the copy)")

    # Ingest ----------------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], progress: Callable[[IngestResult, int, int], None] | None = None,
               embedding: Callable[[int, int], None] | None = None,
               indexing: Callable[[], None] | None = None) -> list[IngestResult]:
        """Ingest files and folders (recursively). One file failing does not stop the others.
        `progress(result, done, total)` is called after each file, `embedding(done, total)` as a file's passages
        are embedded (dense retrieval on), `indexing()` before the whole library is indexed anew.

        The dictionary that segments the index is grown from the library, so which files it was grown from shapes
        the results. Several files ingested into an empty library are indexed together once all are stored, with
        a dictionary grown from all of them; once the library is twice what its dictionary was grown from, it is
        grown again and everything re-indexed (like a growing array, each provision is re-indexed about once in
        all). The same files give the same results whichever order, and in how many commands, they came in, up to
        the files added since the library last doubled."""
        self._check_writable("ingesting writes to it")
        return self._ingest(expand_paths(paths), progress, embedding, indexing)

    def ingest_file(self, path: Path, name: str | None = None,
                    embedding: Callable[[int, int], None] | None = None) -> IngestResult:
        """Ingest one file under `name` (default: its file name); a later file of the same name replaces it."""
        return self._ingest([(Path(path), read.file_name(name or Path(path).name))], embedding=embedding)[0]

    def _ingest(self, files: list[tuple[Path, str]], progress: Callable[[IngestResult, int, int], None] | None = None,
                embedding: Callable[[int, int], None] | None = None,
                indexing: Callable[[], None] | None = None) -> list[IngestResult]:
        filling = len(files) > 1 and self.store.empty()
        if self.dense:  # before a file's vectors join them: vectors of another model, or none, are embedded first
            self._vectors_in_step(embedding, wait=True)
        if filling:  # the index opened (made, if new) before the lock is taken: making it takes the lock too
            self.index  # noqa: B018
        # A fill holds the lock throughout: a search meanwhile searches the index as it is instead of rebuilding
        # it from the files stored so far, and another writer waits for the fill to end.
        with self._writing() if filling else nullcontext():
            results = []
            copies = _Copies(self.store, files)
            for done, (path, name) in enumerate(files, start=1):
                first = copies.first[name]
                if first == path:
                    results.append(self._ingest_one(path, name, embedding, filling, copies))
                else:  # ingesting it would replace the first
                    results.append(IngestResult(name, "failed", exit_code=2, error=(
                        f"{read.file_name(str(path))}: {read.file_name(str(first))}, also in this command, has the "
                        f"same name {name!r}, and one would replace the other; rename one, or ingest the folder that "
                        "holds both (each is then named by its path inside it)")))
                if progress:
                    progress(results[-1], done, len(files))
            changed = any(result.status in ("ingested", "replaced") for result in results)
            # An index that failed to take a file (dropped) is rebuilt, and its dictionary grown, at its next use
            outgrown = not filling and changed and self._index is not None and self._index.outgrown()
            if outgrown:
                print(f"note: growing the search dictionary again from all {self._index.count()} index entries and "
                      "re-indexing them: the library has doubled since it was grown, or it was grown from part of "
                      "the library (an interrupted ingest, an index from an earlier version)", file=sys.stderr)
            if changed and (filling or outgrown):
                if indexing:
                    indexing()
                try:
                    with nullcontext() if filling else self._writing():
                        self._rebuild()
                except Exception as exc:  # the files are stored: the index follows at its next use
                    self._index = None
                    print(f"note: the search index could not be built ({exc}); it will be rebuilt from the library "
                          "at its next use", file=sys.stderr)
        return results

    def _ingest_one(self, path: Path, name: str, embedding: Callable[[int, int], None] | None,
                    filling: bool, copies: _Copies) -> IngestResult:
        """`filling`: the caller holds the lock, and the file is stored with the index left marked out of step,
        for the caller to rebuild. `copies`: the command's files' bytes, and which name keeps bytes several hold."""
        started = time.perf_counter()
        try:
            self._check_writable("ingesting writes to it")
            read.check_file(Path(path))
            known, digest = self.store.source(name), copies.digest(name, Path(path))
            if known is not None and known.sha256 == digest and known.parser == parse.PARSER_VERSION:
                return IngestResult(name, "unchanged", seconds=time.perf_counter() - started)
            # One law filed under two categories (laws/社会法/职业病防治法.md and laws/经济法/…) would be found twice
            if (held := copies.keeper(name, digest)) is not None:
                gone = [] if known is None else self.remove(name)  # what it held is no longer in the file
                return IngestResult(name, "duplicate", seconds=time.perf_counter() - started, notes=[
                    f"the same bytes as {held}, already in the library; not stored twice (remove {held} first to "
                    "keep it under this name)" + (f"; the {len(gone)} documents it held before are removed"
                                                  if known is not None else "")])
            source = read.read_source(path, name)
            parsed = parse_source(source)
            check_recognised(parsed)
            index = self.index  # opened (and, if stale, rebuilt) before the store changes
            vectors = (dense_search.embed_provisions([(d, p) for d in parsed.documents for p in d.provisions],
                                                     progress=embedding) if self.dense else None)
            with nullcontext() if filling else self._writing():
                self._stale.touch()  # until the index has this write too (a process killed between the two)
                if vectors and self._vectors_stale():
                    self._embed_anew(embedding)  # another install embedded the library while this file was
                written = self.store.replace_source(parsed, vectors, dense_search.e5_model.name())
                self._dense_index = None
                written.link(parsed.documents)
                notes = [] if filling else self._update_index(index, written, parsed.documents)
        except HuiqiError as exc:
            return IngestResult(name, "failed", error=str(exc), exit_code=exc.exit_code,
                                seconds=time.perf_counter() - started)
        except Exception as exc:  # a parser bug must not stop the other files, nor write half a file
            return IngestResult(name, "failed", error=f"{name}: internal error ({exc!r}); please report "
                                "it with the file", exit_code=1, seconds=time.perf_counter() - started)
        documents = parsed.documents
        return IngestResult(
            name, "replaced" if known is not None else "ingested", documents=len(documents),
            provisions=sum(len(d.provisions) for d in documents),
            warnings=sum(len(d.warnings) for d in documents), seconds=time.perf_counter() - started, notes=notes)

    def remove(self, source_name: str) -> list[str]:
        self._check_writable("removing writes to it")
        index = self.index
        with self._writing():
            if self.store.source(source_name) is not None:  # a mistyped name, refused below, costs no rebuild
                self._stale.touch()
            written = self.store.remove_source(source_name)
            self._dense_index = None
            notes = self._update_index(index, written, [])
        for note in notes:
            print(note, file=sys.stderr)
        return written.removed

    def _update_index(self, index: SearchIndex, written: Written, documents: list[Document]) -> list[str]:
        """Bring the index in step with a write the store has committed. The store is the source of truth: the
        index is marked STALE before the store is written and unmarked once it has the write too, so that should it
        fail, or the process die in between, it is rebuilt from the store at its next use."""
        try:
            # The dictionary grows when the index is first filled, when the library has doubled (`ingest`) and
            # at every `huiqi index --rebuild`, not at each file: provisions already indexed were segmented
            # with the old one, and a query must be segmented the way they were.
            growing = index.count() == 0 and bool(documents)
            if growing:
                segmenter = index.base_segmenter()
                index.replace_terms(grow(lambda: _texts(documents), segmenter), segmenter)
            # Documents that a version or a repealing text arriving or leaving ends on another day now: indexed again
            relinked = [self.store.document(doc_id) for doc_id in written.relinked]
            index.update(written.removed + written.relinked,
                         ((d, p) for d in documents + relinked for p in d.provisions))
            if growing:
                index.mark_grown()
            index.keep_fingerprint(self.store.fingerprint())
        except Exception as exc:  # tantivy's errors have no common base class worth naming
            self._index = None
            return [f"the search index could not be updated ({exc}); it will be rebuilt from the library "
                    "at its next use"]
        self._stale.unlink(missing_ok=True)
        return []

    def rebuild_index(self, embedding: Callable[[int, int], None] | None = None) -> int:
        """Re-grow the dictionary from the whole library and re-index every provision; with dense retrieval on,
        embed the provisions whose vectors are missing (`embedding(done, total)` follows that)."""
        self._check_writable("rebuilding writes its index")
        with self._writing():
            return self._rebuild(embedding)

    def _rebuild(self, embedding: Callable[[int, int], None] | None = None, recovering: bool = False) -> int:
        """`recovering`: bringing the index back in step after a write that did not finish (a killed ingest): the
        library may hold only part of what its writer meant to add, so the dictionary grown from it does not count
        as grown from this size, and the next ingest grows it again if the library has doubled since the last."""
        index = self._index or SearchIndex(self.home / "index")
        self._index = index
        self._stale.touch()
        # Three passes over the store, each streamed from it rather than held: memory does not grow with the
        # library.
        segmenter = index.base_segmenter()
        index.replace_terms(grow(lambda: (p.text for _, p in self.store.provisions() if p.text), segmenter),
                            segmenter)
        added = index.update([], self.store.provisions(), everything=True)
        if not recovering:
            index.mark_grown()
        index.keep_fingerprint(self.store.fingerprint())
        self._stale.unlink(missing_ok=True)
        if self.dense:
            if self._vectors_stale():
                self._embed_anew(embedding)
            # Vectors from before passages were embedded one by one hold one row, whatever the passage count; a
            # damaged blob counts as none.
            have = {key: dense_search.passage_count(size) for key, size in self.store.vector_sizes().items()}
            missing = [(d, p) for d, p in self.store.provisions() if searchable(p)
                       and have.get((d.id, p.eid)) != len(dense_search.passage_texts(d, p))]
            if missing:
                print(f"note: embedding {len(missing)} provision(s) whose vectors are missing or of an older "
                      "kind, for dense search; this can take minutes", file=sys.stderr)
                self.store.add_vectors(dense_search.embed_provisions(missing, progress=embedding),
                                       dense_search.e5_model.name())
            self._dense_index = None
        return added

    def _vectors_in_step(self, embedding: Callable[[int, int], None] | None = None, wait: bool = False) -> bool:
        """Whether the stored vectors come from the model questions are embedded with; those of another model (an
        earlier huiqi's) are embedded anew first. False when that cannot be done now: the library is read-only, or
        (`wait` off: a search does not wait minutes) another process is writing it."""
        if not self._vectors_stale():
            return True
        if self.read_only:
            return False
        with self._writing(wait=wait) as ours:
            if ours and self._vectors_stale():  # not done meanwhile
                self._embed_anew(embedding)
            return ours

    def _vectors_stale(self) -> bool:
        """Whether the stored vectors are not of the model questions are embedded with: another model's (an
        earlier huiqi's), or none beside provisions ingested with dense retrieval off."""
        embedded_with = self.store.embedded_with()
        return not self.store.empty() if embedded_with is None else embedded_with != dense_search.e5_model.name()

    def _embed_anew(self, embedding: Callable[[int, int], None] | None) -> None:
        """Every provision embedded by this model, then stored in place of the old vectors in one transaction: a
        process killed meanwhile (or a model that does not load) leaves the old ones, embedded anew next time.
        Called with the write lock held."""
        items = [(d, p) for d, p in self.store.provisions() if searchable(p)]
        if not items:
            return
        why = ("it was ingested with dense retrieval off" if self.store.embedded_with() is None
               else "its vectors came from another model")
        print(f"note: embedding the library's {len(items)} provisions for dense search: {why}; this can take minutes",
              file=sys.stderr)
        self.store.replace_vectors(dense_search.embed_provisions(items, progress=embedding),
                                   dense_search.e5_model.name())
        self._dense_index = None

    def search(self, query: str, k: int = 10, filters: Filters | None = None, group: bool = False,
               dense: bool | None = None, fusion: str = "rerank") -> SearchResult:
        """Lexical search; with dense retrieval on, combined with the embeddings ('rerank' or 'rrf')."""
        if blank(query):
            raise BadRequest("empty query; type a few words, e.g. 贷款贴息")
        check_length(query)
        if not (self.dense if dense is None else dense):
            return self.index.search(query, k=k, filters=filters, group=group)
        index = self.index  # first: opening a stale index rebuilds it, which may embed and drop the vectors held
        dense_index = self._searchable_vectors(index)
        if dense_index is None:
            return index.search(query, k=k, filters=filters, group=group)
        return dense_search.hybrid_search(index, dense_index, self.store.hit_fields, query, k, filters, group, fusion)

    def _searchable_vectors(self, index: SearchIndex) -> dense_search.DenseIndex | None:
        """The vectors a dense search compares the question with, loaded once for each model that embedded them;
        None, said once, when it must search lexically: there are none, or they came from another model and cannot
        be embedded anew now (a read-only library, or another process writing it)."""
        embedded_with, dense_index = self.store.embedded_with(), self._dense_index  # a local: threads reset it
        if embedded_with is None:  # ingested with dense retrieval off: no vectors to compare the question with
            if not self._told_no_vectors and index.count():
                print("note: this library has no vectors (it was ingested with dense retrieval off), so search is "
                      "lexical; the next ingest, or `huiqi index --rebuild`, embeds them (minutes for a compilation)",
                      file=sys.stderr)
                self._told_no_vectors = True
            return None
        if embedded_with != dense_search.e5_model.name():
            if not self._vectors_in_step():
                if not self._told_stale_vectors:
                    print("note: this library's vectors came from another model, and it is read-only or being "
                          "written: dense search is off until they are embedded again, which the next ingest, "
                          "rebuild or search that may write the library does", file=sys.stderr)
                    self._told_stale_vectors = True
                return None
            embedded_with = self.store.embedded_with()
        if dense_index is None or self._dense_index_of != embedded_with:  # or another process embedded anew
            dense_index = self._dense_index = dense_search.DenseIndex(self.store.vectors())
            self._dense_index_of = embedded_with
        return dense_index

    # Read ------------------------------------------------------------------------------------------------

    def documents(self, source: str | None = None, limit: int | None = None, offset: int = 0) -> list[Document]:
        return self.store.documents(source, limit, offset)

    def document_count(self, source: str | None = None) -> int:
        return self.store.document_count(source)

    def document(self, doc_id: str) -> Document:
        return self.store.document(doc_id)

    def provision(self, doc_id: str, eid: str) -> tuple[Document, Provision]:
        return self.store.provision(doc_id, eid)

    def sources(self) -> list[dict]:
        return [{"name": s.name, "sha256": s.sha256, "format": s.format, "encoding": s.encoding, "size": s.size,
                 "compilation_title": s.compilation_title, "ingested_at": s.ingested_at.isoformat()}
                for s in self.store.sources()]

    def export(self, doc_id: str, fmt: str) -> str:
        from huiqi import export

        return export.render(self.document(doc_id), fmt)

    def empty(self) -> bool:
        return self.store.empty()

    def summary(self) -> dict[str, int]:
        return self.store.counts()


class _Copies:
    """The bytes (sha256) of the files one ingest command names, each hashed once, before the first is read; and,
    of the names holding the same bytes once the command is done, the one that keeps them: a source the command
    leaves alone, then one in it whose bytes stay as they were stored, then the first in it. So the same files give
    the same library whatever it held before, and a file changed into a copy of another is the copy."""

    def __init__(self, store: Store, files: list[tuple[Path, str]]) -> None:
        self.store = store
        self.names = {name for _, name in files}
        self.first: dict[str, Path] = {}  # the file ingested under each name: a later one of the name is refused
        self.digests: dict[str, str] = {}
        self.holding: dict[str, list[str]] = defaultdict(list)  # digest → the names holding it, in command order
        for path, name in files:
            if self.first.setdefault(name, path) == path:
                with suppress(HuiqiError, OSError):  # a file huiqi would not read fails on its own
                    read.check_file(path)
                    self.digests[name] = read.digest(path)
                    self.holding[self.digests[name]].append(name)

    def digest(self, name: str, path: Path) -> str:
        return self.digests.get(name) or read.digest(path)

    def keeper(self, name: str, digest: str) -> str | None:
        """The name that keeps the bytes `name` holds, if it is another."""
        stored = self.store.sources_with_digest(digest)
        here = self.holding.get(digest, [])
        kept = next((other for other in stored if other not in self.names), None) or next(
            (other for other in here if other in stored), here[0] if here else name)
        return None if kept == name else kept


def _texts(documents: Iterable[Document]) -> Iterable[str]:
    return (p.text for d in documents for p in d.provisions if p.text)


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """(file, name) pairs. A folder gives the supported files inside it, sorted, each named by its path
    inside the folder (刑法/刑法修正案.md), so same-named files in sub-folders stay apart; hidden files and the
    lock files editors leave (~$x.docx, ._x.pdf) are skipped. A named file is kept even if unsupported, so
    that the user hears why it was not read."""
    files: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in read.SUFFIXES
                           and not p.name.startswith((".", "~$")))
            files.extend((p, read.file_name(p.relative_to(path).as_posix())) for p in found)
        else:
            files.append((path, read.file_name(path.name)))
    return files


def check_recognised(parsed: ParsedSource) -> None:
    """A file in which nothing looks like a policy document (no title, 文号, date or numbered provision)
    is refused rather than stored as one nameless document."""
    for document in parsed.documents:
        structured = any(p.kind not in ("preamble",) for p in document.provisions)
        if document.doc_number or document.date or structured or not any(
                w.startswith("no title") for w in document.warnings):
            return
    raise NoDocuments(f"{parsed.source.name}: no policy document recognised (no title, 文号, 成文日期 or "
                      "numbered provisions); is this a policy compilation?")
