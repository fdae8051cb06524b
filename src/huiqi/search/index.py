"""The provision index: one tantivy document per provision, BM25 over pre-segmented words, the title path
(document title and ancestor headings) and character bigrams, with filter fields for region, level, issuer,
genre, dates and validity. Stored beside the SQLite file under HUIQI_HOME/index and kept in step with it:
ingesting a file replaces its documents here too."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import tantivy

from huiqi import organs, regions, versions
from huiqi.errors import BadRequest
from huiqi.records import Document, Provision
from huiqi.search.query import (
    CitedArticle,
    add_shortenings,
    cited_articles,
    document_number_key,
    named_documents,
    rule_words,
    understand,
)
from huiqi.search.ranking import candidates, group_hits, replaced, rerank
from huiqi.search.results import GENRE_NAMES, Filters, Hit, Named, SearchResult
from huiqi.search.tokens import Segmenter, bigrams, hand_kept_terms, normalise
from huiqi.search.units import passages, path_part, searchable

SCHEMA_VERSION = "15"  # bump whenever what is indexed or embedded changes: an older index is then rebuilt
# Field weights, fixed by reasoning rather than tuned to the evaluation set: the provision's own words count
# most, the document title and headings above it tell what it is about, bigrams catch what segmentation misses.
WORDS_BOOST, PATH_BOOST, GRAMS_BOOST = 1.0, 0.35, 0.3
PASSAGES_PER_HIT = 4
# A document whose place is unknown (a regulation filed alone, naming no issuer) passes every region filter, as one
# with no known dates passes an in-force filter: a filter hides what does not apply, not what we cannot place.
UNKNOWN_REGION = "unknown"
NO_END = 99991231
_ARTICLE = re.compile(r"(?:^|__)(art_[\d-]+)")  # the article an eId is, or is part of: chp_1__art_10__para_2 → art_10


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in ("doc_id", "source", "region_code", "region_path", "level", "genre", "issuer", "doc_number",
                 "title_key", "article"):
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    for name in ("words", "path", "grams"):
        builder.add_text_field(name, tokenizer_name="ws", index_option="freq")
    for name in ("date", "eff_from", "eff_to"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_bytes_field("payload", stored=True)
    return builder.build()


def _remove_orphaned_links() -> None:
    """Remove the link folders (see `SearchIndex._open_read_only`) of processes that ended without removing theirs:
    killed by SIGKILL, or crashed. A folder is named after its process; one of a live process is left alone."""
    for folder in Path(tempfile.gettempdir()).glob("huiqi-index-*-*"):
        pid = folder.name.split("-")[2]
        try:
            if not re.fullmatch(r"[1-9][0-9]{0,8}", pid) or folder.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:  # no such process: the folder is left over
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # gone meanwhile, or the process is alive under another user
            continue


class SearchIndex:
    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.schema = _schema()
        # An index from another schema, or one a killed writer left damaged, is dropped; `reset` (so is a missing
        # one) tells the library to refill it from the store.
        self._terms_seen = self._terms_stamp(path)  # before they are read: a change meanwhile is seen next time
        grown = self._grown_terms(path)
        self.reset = grown is None
        self.index = self._open_read_only(path) if read_only else self._open_writable(path)
        self.index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self.segmenter = self.base_segmenter()
        self.segmenter.add_terms([] if self.reset else grown)
        self._paths: dict[str, list[str]] = {}
        self._pending_terms: list[str] | None = None
        self._commit_seen = self._commit_stamp()

    @staticmethod
    def made(path: Path) -> bool:
        """Whether `path` holds an index of this schema: one that is not will be made anew, its folder cleared."""
        return SearchIndex._grown_terms(path) is not None

    @staticmethod
    def _grown_terms(path: Path) -> list[str] | None:
        """The dictionary grown for an index folder of this schema; None when there is no such folder, or its
        dictionary cannot be read (its terms segment the queries)."""
        terms = path / "grown_terms.txt"
        try:
            if (path / "VERSION").read_bytes().strip() != SCHEMA_VERSION.encode():
                return None
            return terms.read_text(encoding="utf-8").split() if terms.exists() else []
        except (OSError, UnicodeDecodeError):
            return None

    def _open_writable(self, path: Path) -> tantivy.Index:
        if self.reset and path.is_dir():
            shutil.rmtree(path)
        elif self.reset and path.exists():
            path.unlink()
        try:
            return self._open(path)
        except (ValueError, OSError):  # files a killed writer left damaged
            shutil.rmtree(path, ignore_errors=True)
            self.reset = True
            return self._open(path)

    def _open(self, path: Path) -> tantivy.Index:
        path.mkdir(parents=True, exist_ok=True)
        if self.reset:
            (path / "VERSION").write_text(SCHEMA_VERSION)
        index = tantivy.Index(self.schema, path=str(path))
        self._share_meta_files()
        return index

    def _open_read_only(self, path: Path) -> tantivy.Index:
        """An index on a read-only disk. tantivy takes a lock file even to read, so it is opened from a temporary
        folder of links to the index's files (no copy), where its lock files can be made."""
        if self.reset:
            raise OSError(f"no index of version {SCHEMA_VERSION} in {path}")
        _remove_orphaned_links()
        self._links = tempfile.TemporaryDirectory(prefix=f"huiqi-index-{os.getpid()}-")  # removed with this object
        for entry in path.iterdir():
            if not entry.name.startswith(".tantivy-"):
                (Path(self._links.name) / entry.name).symlink_to(entry.resolve())
        try:
            return tantivy.Index(self.schema, path=self._links.name)
        except ValueError as exc:  # e.g. meta.json of an index written by another user before huiqi shared it
            hint = (f"; its owner can let others read it: chmod a+r {path}/* {path}/.managed.json"
                    if "denied" in str(exc) else "")
            raise OSError(f"{exc}{hint}") from None

    # Dictionary ----------------------------------------------------------------------------------------------

    def grown_terms(self) -> list[str]:
        return self._grown_terms(self.path) or []

    @staticmethod
    def base_segmenter() -> Segmenter:
        """The dictionary before anything is grown: what terms are grown from, so that growing twice from the same
        library gives the same terms (grown from a segmenter that knew the last ones, they piled up)."""
        segmenter = Segmenter(hand_kept_terms())
        segmenter.add_words(rule_words())
        return segmenter

    def replace_terms(self, terms: Iterable[str], base: Segmenter) -> None:
        """Take the terms grown from the library in place of earlier ones: they segment documents indexed from now
        on, and are written beside the index when those are committed (other processes' searches load them with
        it). `base` is the segmenter they were grown with, which now learns them."""
        self._pending_terms = sorted(set(terms))
        self.segmenter = base
        self.segmenter.add_terms(self._pending_terms)
        self._paths.clear()

    @staticmethod
    def _terms_stamp(path: Path) -> tuple[int, int, int] | None:
        return _stamp(path / "grown_terms.txt")

    def _commit_stamp(self) -> tuple[int, int, int] | None:
        return _stamp(self.path / "meta.json")  # tantivy replaces it at every commit

    def _follow_commits(self) -> None:
        """What another process has committed is searched at once: tantivy's own reader sees it only after
        watching meta.json for up to a second, so a server answered from the index as it was just after an ingest
        ended. A stat a search."""
        stamp = self._commit_stamp()
        if stamp != self._commit_seen:
            self._commit_seen = stamp
            try:
                self.index.reload()
            except (ValueError, OSError):  # searched as it was; the next search tries again
                self._commit_seen = None

    def _follow_terms(self) -> None:
        """A query must be segmented the way the index it searches was. Another process may have grown the
        dictionary again since this one opened the index (a rebuild, a library that doubled): its terms are loaded,
        and the index reloaded with them."""
        stamp = self._terms_stamp(self.path)
        if stamp == self._terms_seen or self._pending_terms is not None:
            return
        grown = self._grown_terms(self.path)
        if grown is None:  # not of this schema any more: the next process to open the index rebuilds it
            return
        try:
            self.index.reload()
        except (ValueError, OSError):  # e.g. a read-only library's links, made before its owner rebuilt it
            return
        self._terms_seen = stamp
        self.segmenter = self.base_segmenter()
        self.segmenter.add_terms(grown)
        self._paths.clear()

    def mark_grown(self) -> None:
        """Remember how many entries the dictionary was grown from (call it once they are indexed)."""
        (self.path / "GROWN_FROM").write_text(str(self.count()), encoding="ascii")

    def outgrown(self) -> bool:
        """Whether the index holds twice the entries its dictionary was grown from; an index from before this was
        kept counts as grown from nothing, so that it is grown once more."""
        try:
            grown_from = int((self.path / "GROWN_FROM").read_text(encoding="ascii"))
        except (OSError, ValueError):
            grown_from = 0
        count = self.count()
        return count > 0 and count >= 2 * grown_from

    # Writing ---------------------------------------------------------------------------------------------------

    def update(self, remove_doc_ids: Iterable[str], items: Iterable[tuple[Document, Provision]],
               everything: bool = False) -> int:
        """Drop some documents (`everything`: all) and add provisions, in one commit: a search sees the index as it
        was before or after, never emptied. Returns the number of provisions added."""
        self._follow_terms()  # another writer may have grown the dictionary since this process opened the index
        writer = self.index.writer(heap_size=200_000_000, num_threads=1)
        if everything:
            writer.delete_all_documents()
        for doc_id in remove_doc_ids:
            writer.delete_documents_by_term("doc_id", doc_id)
        added = 0
        paths: dict[tuple[str, str], str] = {}
        for document, provision in items:
            paths[(document.id, provision.eid)] = path_part(provision)
            if not searchable(provision):
                continue
            for passage in passages(provision.text or provision.heading):
                writer.add_document(self._document(document, provision, paths, passage))
            added += 1
        self._commit(writer)
        return added

    def _commit(self, writer: tantivy.IndexWriter) -> None:
        writer.commit()
        writer.wait_merging_threads()
        if self._pending_terms is not None:  # the dictionary these entries were segmented with, written whole
            staged = self.path / "grown_terms.txt.new"
            staged.write_text("\n".join(self._pending_terms), encoding="utf-8")
            os.replace(staged, self.path / "grown_terms.txt")
            self._pending_terms = None
            self._terms_seen = self._terms_stamp(self.path)
        self.index.reload()
        self._share_meta_files()

    def _share_meta_files(self) -> None:
        """tantivy writes its meta files for their owner alone (mode 600), whatever the umask: they get the mode our
        own files get, so that a library another user may read can be searched by them too."""
        try:
            mode = (self.path / "VERSION").stat().st_mode & 0o777
        except OSError:
            return
        for name in ("meta.json", ".managed.json"):
            try:
                if (self.path / name).stat().st_mode & 0o777 != mode:
                    (self.path / name).chmod(mode)
            except OSError:  # not there yet, or not ours to change (a shared folder): the owner's setting stands
                continue

    def _document(self, document: Document, provision: Provision, paths: dict, passage: str) -> tantivy.Document:
        ancestors: list[str] = []
        parent = provision.parent
        while parent:
            ancestors.insert(0, paths.get((document.id, parent), ""))
            parent = parent.rsplit("__", 1)[0] if "__" in parent else None
        own = normalise(passage if passage == provision.heading else f"{provision.heading} {passage}")
        path = normalise(" ".join([document.title, *ancestors]))
        region = regions.lookup_code(document.region_code) if document.region_code else None
        payload = {"doc_id": document.id, "doc_title": document.title, "eid": provision.eid,
                   "citation": provision.citation, "text": provision.text or provision.heading,
                   "source": document.source, "source_lines": [provision.first_line, provision.last_line],
                   **document.replacement(),
                   "match": [normalise(document.title), normalise(provision.text or provision.heading)]}
        doc = tantivy.Document()
        doc.add_text("doc_id", document.id)
        doc.add_text("source", document.source)
        for code in _region_path(region):
            doc.add_text("region_path", code)
        doc.add_text("region_code", region.code if region else UNKNOWN_REGION)
        for name, value in (("level", document.level), ("genre", document.genre)):
            if value:
                doc.add_text(name, value)
        for name in _issuer_names(document):
            doc.add_text("issuer", name)
        if number := document.doc_number and document_number_key(document.doc_number):
            doc.add_text("doc_number", number)
        doc.add_text("title_key", versions.text_key(normalise(document.title)))  # as a repeal names it
        if article := _ARTICLE.search(provision.eid):
            doc.add_text("article", article.group(1))
        # The title path goes in front of the provision's own words (DESIGN: "title path and document title
        # prefixed"), so that a word of the title counts alike for every provision of the document.
        path_words = self._path_words(path)
        doc.add_text("words", " ".join(path_words + self.segmenter.words(own, normalised=True)))
        doc.add_text("path", " ".join(path_words))
        doc.add_text("grams", " ".join(bigrams(own, normalised=True)))
        start = document.effective_from or document.date
        doc.add_integer("date", _day(document.date) or 0)
        doc.add_integer("eff_from", _day(start) or 0)
        doc.add_integer("eff_to", _last_day(document) or NO_END)
        doc.add_bytes("payload", json.dumps(payload, ensure_ascii=False).encode())
        return doc

    def _path_words(self, path: str) -> list[str]:
        """Every provision of a document shares its title path: segment each path once."""
        if path not in self._paths:
            if len(self._paths) > 10_000:
                self._paths.clear()
            self._paths[path] = self.segmenter.words(path, normalised=True)
        return self._paths[path]

    # Reading ---------------------------------------------------------------------------------------------------

    def count(self) -> int:
        self.index.reload()  # what other processes have committed too
        return self.index.searcher().num_docs

    @property
    def fingerprint(self) -> str | None:
        """The store's fingerprint when this index was last brought in step with it; None if unknown (an index
        from before fingerprints were kept)."""
        try:
            return (self.path / "LIBRARY").read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def keep_fingerprint(self, fingerprint: str) -> None:
        (self.path / "LIBRARY").write_text(fingerprint, encoding="ascii")

    def search(self, query: str, k: int = 10, filters: Filters | None = None, group: bool = False,
               named: Named | None = None) -> SearchResult:
        """The best k provisions, or with `group` the best k documents (each with its other hits). `named`: what
        `named(query)` says, where the caller has read it already."""
        started = time.perf_counter()
        hits = self.ranked(query, *candidates(k, group), filters, named)
        hits = group_hits(hits)[:k] if group else hits[:k]
        return SearchResult(query, (time.perf_counter() - started) * 1000, hits)

    def ranked(self, query: str, depth: int, documents: int = 0, filters: Filters | None = None,
               named: Named | None = None) -> list[Hit]:
        """The best `depth` provisions, reranked; more where they come from fewer than `documents` documents
        (grouped results show one hit per document, and the best 50 provisions can all be in three)."""
        self._follow_terms()
        named = named or self.named(query)  # first: it brings the index up to what others have committed
        searcher = self.index.searcher()
        restrictions = self._filters(filters or Filters())
        day = day_asked(filters).isoformat()
        listed: list[tuple[int, Hit]] = []
        for number, cited in enumerate(named.articles):  # '公司法第十条': that article
            hits = self._in_reading_order(searcher, [*restrictions, *self._citing(cited)], day)
            listed += [(number, hit) for hit in [hit for hit in hits if cited.part.search(hit.eid)] or hits]
        if listed:  # else the filters let none of them through. In force first, then texts in the order cited
            return [hit for _, hit in sorted(listed, key=lambda pair: (replaced(pair[1], day), pair[0]))]
        if named.numbers:  # a 文号 the library knows keeps the search in its documents
            restrictions.append(self._numbered(named.numbers))
            if not named.rest:
                return self._in_reading_order(searcher, restrictions, day)
            query = named.rest
        terms = understand(query, self.segmenter)
        add_shortenings(terms, lambda word: searcher.doc_freq("words", word) > 0,
                        lambda start: [term for term, _ in searcher.terms_with_prefix("words", start)])
        clauses = [(tantivy.Occur.Should, self._term(field_name, term, weight * boost))
                   for field_name, boost, source in (("words", WORDS_BOOST, terms.words),
                                                     ("path", PATH_BOOST, terms.words),
                                                     ("grams", GRAMS_BOOST, terms.grams))
                   for term, weight in source.items()]
        if not clauses:
            return []
        scoring = tantivy.Query.boolean_query(clauses)
        final = tantivy.Query.boolean_query([(tantivy.Occur.Must, scoring), *restrictions]) if restrictions else scoring
        wanted = depth * PASSAGES_PER_HIT
        while True:
            found = searcher.search(final, limit=wanted, count=False).hits
            hits, matched = self._provisions(searcher, found, depth, documents)
            if len(found) < wanted or len({hit.doc_id for hit in hits}) >= documents:
                break
            wanted *= 4
        return rerank(hits, matched, [w for w, weight in terms.words.items() if weight >= 1.0 and len(w) >= 2],
                       terms.answer, day)

    def named(self, query: str) -> Named:
        """What `query` names that the library holds: an article cited by its text's title, documents by 文号. An
        article the text lacks (公司法第九百条) is no citation: the question is searched, and reranked, as words."""
        self._follow_commits()
        searcher = self.index.searcher()
        cited = cited_articles(query, lambda key: searcher.doc_freq("title_key", key) > 0,
                               lambda: (key for key, _ in searcher.terms_with_prefix("title_key", "")))
        held = [each for each in cited
                if searcher.search(tantivy.Query.boolean_query(self._citing(each)), limit=1, count=True).count]
        return Named(held, *named_documents(query, lambda key: searcher.doc_freq("doc_number", key) > 0,
                                            self.segmenter))

    def _citing(self, cited: CitedArticle) -> list[tuple]:
        """What restricts a search to the articles cited."""
        return [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "title_key", cited.title)),
                (tantivy.Occur.Must, tantivy.Query.boolean_query([  # a term set query costs 0.3 ms more
                    (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "article", article))
                    for article in cited.articles]))]

    def _in_reading_order(self, searcher, restrictions: list[tuple], day: str) -> list[Hit]:
        """Every provision the restrictions let through, as they are read: the first article first, document by
        document, those in force on `day` (YYYY-MM-DD) before those replaced. A document's passages are few enough
        (hundreds) to read them all."""
        query = tantivy.Query.boolean_query(restrictions)
        found = searcher.search(query, limit=max(1, searcher.search(query, limit=1, count=True).count),
                                count=False).hits
        hits, _ = self._provisions(searcher, found, len(found), 0)
        order = {doc_id: rank for rank, doc_id in enumerate(dict.fromkeys(hit.doc_id for hit in hits))}
        return sorted(hits, key=lambda hit: (replaced(hit, day), order[hit.doc_id], hit.source_lines[0]))

    @staticmethod
    def _provisions(searcher, found: list, depth: int, documents: int) -> tuple[list[Hit], dict]:
        """Passages → provisions, each counted by its best passage (they arrive best first), until there are
        `depth` of them from at least `documents` documents."""
        hits: list[Hit] = []
        matched: dict[tuple[str, str], list[str]] = {}
        doc_ids: set[str] = set()
        for score, address in found:
            payload = json.loads(searcher.doc(address)["payload"][0])
            key = (payload["doc_id"], payload["eid"])
            if key in matched:
                continue
            matched[key] = payload.pop("match")
            hits.append(Hit(score=float(score), **payload))
            doc_ids.add(key[0])
            if len(hits) >= depth and len(doc_ids) >= documents:
                break
        return hits, matched

    def admitted(self, doc_ids: set[str], filters: Filters, numbers: Iterable[str] = ()) -> set[str]:
        """The documents among `doc_ids` that the filters let through (and that bear one of the 文号 `numbers`,
        when some are given)."""
        restrictions = self._filters(filters)
        if numbers:
            restrictions.append(self._numbered(numbers))
        if not restrictions:
            return set(doc_ids)
        searcher = self.index.searcher()
        kept = set()
        for doc_id in doc_ids:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "doc_id", doc_id)), *restrictions])
            if searcher.search(query, limit=1, count=False).hits:
                kept.add(doc_id)
        return kept

    def _numbered(self, numbers: Iterable[str]) -> tuple:
        """What restricts a search to the documents bearing one of these 文号."""
        return tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "doc_number", list(numbers))

    def _term(self, field_name: str, term: str, boost: float) -> tantivy.Query:
        return tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, field_name, term), boost)

    def _filters(self, filters: Filters) -> list[tuple]:
        must = []
        if filters.region:
            places = _resolve_region(filters.region)  # 鼓楼区 is four places: any of them
            inside = tantivy.Query.term_set_query(self.schema, "region_path", [place.code for place in places])
            above = tantivy.Query.term_set_query(self.schema, "region_code", [
                regions.NATIONAL_CODE, UNKNOWN_REGION, *(code for place in places for code in _region_path(place)[1:])])
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, inside), (tantivy.Occur.Should, above)])))
        if filters.level:
            must.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "level", filters.level)))
        if filters.genre:
            must.append((tantivy.Occur.Must, tantivy.Query.term_set_query(
                self.schema, "genre", list(GENRE_NAMES.get(filters.genre, (filters.genre,))))))
        if filters.issuer:
            issuer = tantivy.Query.term_set_query(self.schema, "issuer", organs.issuer_key(filters.issuer))
            must.append((tantivy.Occur.Must, issuer))
        if filters.date_from or filters.date_to:
            must.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Integer, _day(filters.date_from) or 1,
                _day(filters.date_to) or NO_END)))
        if filters.in_force:
            day = _day(filters.in_force)
            must.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "eff_from", tantivy.FieldType.Integer, None, day)))
            must.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "eff_to", tantivy.FieldType.Integer, day, None)))
        return must


def _issuer_names(document: Document) -> set[str]:
    """Every key an issuer filter may match a document by (`organs.issuer_keys`)."""
    home = regions.lookup_code(document.region_code) if document.region_code else None
    return {key for issuer in document.issuers for key in organs.issuer_keys(normalise(issuer), home)}


def _region_path(region: regions.Region | None) -> list[str]:
    """A region and the regions above it: 320583 → [320583, 320500, 320000]."""
    if region is None:
        return []
    if region.code == regions.NATIONAL_CODE:
        return [region.code]
    codes = [region.code]
    for parent in (region.code[:4] + "00", region.code[:2] + "0000"):
        if parent not in codes:
            codes.append(parent)
    return codes


def _resolve_region(value: str) -> list[regions.Region]:
    if regions.NATIONAL_NAME in (value, normalise(value)):  # 全國 too
        return [regions.NATIONAL]
    # As written first (乾安县 is no 干安县), then folded (江蘇 is 江苏, ３２００００ is 320000)
    for name in dict.fromkeys((value, normalise(value))):
        found = [regions.lookup_code(name)] if name.isdigit() else list(regions.meant(name))
        if found and None not in found:
            return found
    raise BadRequest(f"unknown region {value!r}; give a name such as 江苏省 or 漯河市, 全国, or a GB/T 2260 code")


def _day(value: date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


def _stamp(file: Path) -> tuple[int, int, int] | None:
    """What tells a file replaced (renamed over) or written: two commits within one tick of the clock still differ
    in inode."""
    try:
        stat = file.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def day_asked(filters: Filters | None) -> date:
    """The day a search asks about: the one in force asked for, else the end of its date range, else today."""
    if filters is None:
        return date.today()
    return filters.in_force or min(day for day in (filters.date_to, date.today()) if day)


def _last_day(document: Document) -> int | None:
    """The last day a document is in force: its own end, or the day before a later version of it, or a text that
    repeals it, takes effect."""
    ends = [day for day in (document.effective_to,
                            document.replaced_on and document.replaced_on - timedelta(days=1)) if day]
    return _day(min(ends)) if ends else None
