"""Storage: sources, documents and provisions in SQLite through SQLAlchemy (portable types, so PostgreSQL is
a URL away). Writing one source file is one transaction: its old version goes and its new one arrives
together, or nothing changes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from huiqi import parse, read, repeals, versions
from huiqi.errors import NotFound, UnreadableFile
from huiqi.parse import ParsedSource
from huiqi.records import Document, Provision


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)  # file name: the key a changed file replaces by
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    parser: Mapped[str | None] = mapped_column(String(16))  # PARSER_VERSION that parsed it (None: before there was one)
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    compilation_title: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    doc_number: Mapped[str | None] = mapped_column(String(128), index=True)
    issuers: Mapped[list] = mapped_column(JSON)
    date: Mapped[date | None] = mapped_column(Date, index=True)
    genre: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str | None] = mapped_column(String(64))
    attachments: Mapped[list] = mapped_column(JSON)
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[list] = mapped_column(JSON)
    toc_title: Mapped[str | None] = mapped_column(Text)
    # Set by the store, not the parser (huiqi.versions): the later version of the same text that ends this one, and
    # the later text that repeals it
    version_key: Mapped[str | None] = mapped_column(Text, index=True)
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    superseded_on: Mapped[date | None] = mapped_column(Date)
    text_key: Mapped[str | None] = mapped_column(Text, index=True)
    repealed_by: Mapped[str | None] = mapped_column(String(32))
    repealed_on: Mapped[date | None] = mapped_column(Date)


class ProvisionRow(Base):
    __tablename__ = "provisions"
    __table_args__ = (UniqueConstraint("document_id", "eid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    eid: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    num: Mapped[str] = mapped_column(String(64))
    heading: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    ord: Mapped[int] = mapped_column(Integer)
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)
    citation: Mapped[str] = mapped_column(Text)
    parent: Mapped[str | None] = mapped_column(String(255))
    depth: Mapped[int] = mapped_column(Integer)


class RepealRow(Base):
    """A text a document says it repeals ('《…》同时废止'), by title (its text key) and 文号: looked up both ways, for
    either may arrive first."""

    __tablename__ = "repeals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    title_key: Mapped[str] = mapped_column(Text, index=True)
    doc_number: Mapped[str | None] = mapped_column(String(128))


class SettingRow(Base):
    """A fact the library keeps about itself: what its vectors were embedded with."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


EMBEDDED_WITH = "embedded_with"
# Provisions looked up by (document_id, eid) in one statement: two parameters a key (SQLite before 3.32 binds at
# most 999), and an OR of pairs deeper than 1,000 is refused ("Expression tree is too large").
KEYS_A_QUERY = 400


class VectorRow(Base):
    """A provision's dense embedding (optional: only when dense retrieval is on)."""

    __tablename__ = "vectors"
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    eid: Mapped[str] = mapped_column(String(255), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


_DOCUMENT_FIELDS = ("title", "doc_number", "issuers", "date", "genre", "level", "region", "region_code",
                    "effective_from", "effective_to", "category", "attachments", "warnings", "toc_title")
# What deciding whether one document ends another reads (huiqi.versions.Edition)
_EDITION_COLUMNS = (DocumentRow.id, DocumentRow.title, DocumentRow.version_key, DocumentRow.region_code,
                    DocumentRow.issuers, DocumentRow.date, DocumentRow.effective_from, DocumentRow.doc_number)
_PROVISION_FIELDS = ("eid", "kind", "num", "heading", "text", "first_line", "last_line", "citation", "parent",
                     "depth")


def connect(url: str, read_only: bool = False) -> Engine:
    """`read_only`: a library on a read-only disk or not the user's to write, read as it is and nothing created.
    On a read-only disk SQLite opens the file `immutable`: in WAL mode it would want to write a shared-memory file
    beside it."""
    sqlite, database = url.startswith("sqlite"), url.removeprefix("sqlite:///")
    if sqlite and read_only:
        wal = Path(f"{database}-wal")
        # immutable only where nothing can change the file, and no write waits in its WAL file (which it ignores)
        frozen = os.statvfs(database).f_flag & os.ST_RDONLY and not (wal.exists() and wal.stat().st_size)
        url = f"sqlite:///file:{database}?mode=ro{'&immutable=1' if frozen else ''}&uri=true"
    engine = create_engine(url, json_serializer=lambda v: json.dumps(v, ensure_ascii=False),
                           connect_args={"check_same_thread": False} if sqlite else {})
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not read_only:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    if read_only:
        if {"superseded_by", "repealed_by"} - _columns(engine, "documents"):
            raise UnreadableFile(f"the library database {database} was made by an earlier huiqi and needs upgrading, "
                                 "which writes to it; open it once where it can be written (huiqi docs)")
        return engine
    # Two processes opening a new library at once: one makes a table, or switches the file to WAL, under the
    # other's feet; the other tries again.
    for attempt in range(20):
        try:
            Base.metadata.create_all(engine)
            break
        except OperationalError as exc:
            if attempt == 19 or not any(words in str(exc.orig) for words in ("already exists", "locked")):
                raise
            time.sleep(0.05)
    if "parser" not in _columns(engine, "sources"):
        with engine.begin() as connection:  # a library made before sources.parser existed
            connection.execute(text("ALTER TABLE sources ADD COLUMN parser VARCHAR(16)"))
    columns = _columns(engine, "documents")  # once: neither upgrade below adds what the other looks for
    if "superseded_by" not in columns:
        with Session(engine) as session, session.begin():  # a library made before versions were linked
            _add_link_columns(session, "version_key", versions.key, ("superseded_by VARCHAR(32)", "superseded_on DATE"))
            _relink(session, None)
    if "repealed_by" not in columns:
        with Session(engine) as session, session.begin():  # a library made before repeals were linked
            _add_link_columns(session, "text_key", versions.text_key, ("repealed_by VARCHAR(32)", "repealed_on DATE"))
            # every provision, in reading order, of the documents that say a repeal word: a decided list's items
            # ('（一）《…条例》；') say none
            saying = select(ProvisionRow.document_id).where(
                or_(*(ProvisionRow.text.contains(word) for word in repeals.REPEAL_WORDS)))
            provisions = session.execute(select(ProvisionRow.document_id, ProvisionRow.text)
                                         .where(ProvisionRow.document_id.in_(saying))
                                         .order_by(ProvisionRow.document_id, ProvisionRow.ord))
            texts: dict[str, list[str]] = {}
            for doc_id, provision in provisions:
                texts.setdefault(doc_id, []).append(provision)
            _add_repeals(session, {doc_id: repeals.repeals(found) for doc_id, found in texts.items()})
            _relink_repeals(session, None)
    return engine


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def _add_link_columns(session: Session, key: str, key_of: Callable[[str], str], columns: tuple[str, ...]) -> None:
    """Upgrade a library made before a kind of link: the documents gain the link's `columns` and the indexed
    column `key`, filled with `key_of` each title."""
    for column in (f"{key} TEXT", *columns):
        session.execute(text(f"ALTER TABLE documents ADD COLUMN {column}"))
    keys = [{"id": doc_id, key: key_of(title)}
            for doc_id, title in session.execute(select(DocumentRow.id, DocumentRow.title))]
    if keys:
        session.execute(update(DocumentRow), keys)  # by primary key, in one statement run for each
    session.execute(text(f"CREATE INDEX ix_documents_{key} ON documents ({key})"))


@dataclass
class Written:
    """What a write changed beyond its own documents, for the search index to follow."""

    removed: list[str]  # the documents the source's earlier version had
    # Other sources' documents that a version or a repealing text arriving or leaving ends on another day (or no
    # longer ends)
    relinked: list[str] = field(default_factory=list)
    links: dict[str, versions.Link] = field(default_factory=dict)  # the new documents that later versions end
    repeals: dict[str, versions.Link] = field(default_factory=dict)  # the new documents that later texts repeal

    def link(self, documents: list[Document]) -> None:
        """Give the documents written the links the store now holds for them."""
        for document in documents:
            if document.id in self.links:
                document.superseded_by, document.superseded_on = self.links[document.id].by, self.links[document.id].on
            if document.id in self.repeals:
                document.repealed_by, document.repealed_on = self.repeals[document.id].by, self.repeals[document.id].on


class Store:
    def __init__(self, url: str, read_only: bool = False) -> None:
        try:
            self.engine = connect(url, read_only)
        except DatabaseError as exc:  # not a database, a damaged one, a locked one, one this user cannot write
            damaged = any(words in str(exc.orig) for words in ("not a database", "malformed"))
            advice = "move it away and ingest the files again" if damaged else "check its permissions and locks"
            raise UnreadableFile(f"cannot open the library database {url.removeprefix('sqlite:///')} ({exc.orig}); "
                                 f"{advice}") from None

    def source(self, name: str) -> SourceRow | None:
        with Session(self.engine) as session:
            return session.scalar(select(SourceRow).where(SourceRow.name == name))

    def sources_with_digest(self, sha256: str) -> list[str]:
        """The names of the sources holding exactly these bytes, sorted."""
        with Session(self.engine) as session:
            return list(session.scalars(select(SourceRow.name).where(SourceRow.sha256 == sha256)
                                        .order_by(SourceRow.name)))

    def sources(self) -> list[SourceRow]:
        with Session(self.engine) as session:
            return list(session.scalars(select(SourceRow).order_by(SourceRow.name)))

    def replace_source(self, parsed: ParsedSource, vectors: dict[tuple[str, str], bytes] | None = None,
                       model: str | None = None) -> Written:
        """Write a parsed file, replacing any earlier version of the same file name, in one transaction, with the
        links between versions of one text, and repeals, brought in step."""
        source = parsed.source
        scope = {(versions.key(d.title), d.region_code) for d in parsed.documents}
        stated = {d.id: repeals.repeals(p.text for p in d.provisions) for d in parsed.documents}
        repeal_scope = ({versions.text_key(d.title) for d in parsed.documents}
                        | {repeal.title_key for found in stated.values() for repeal in found})
        with Session(self.engine) as session, session.begin():
            old = session.scalar(select(SourceRow).where(SourceRow.name == source.name))
            old_ids: list[str] = []
            if old is not None:
                old_rows = session.execute(select(DocumentRow.id, DocumentRow.version_key, DocumentRow.text_key,
                                                  DocumentRow.region_code)
                                           .where(DocumentRow.source_id == old.id)).all()
                old_ids = [row.id for row in old_rows]
                scope |= {(row.version_key, row.region_code) for row in old_rows}
                repeal_scope |= _repeal_scope(session, old_rows)
                _delete_documents(session, old_ids)
                session.delete(old)
                session.flush()
            row = SourceRow(name=source.name, path=read.file_name(str(source.path.resolve())), sha256=source.sha256,
                            parser=parse.PARSER_VERSION, format=source.format, encoding=source.encoding,
                            size=source.size, compilation_title=parsed.compilation_title, ingested_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            documents = [{"id": d.id, "source_id": row.id, "ordinal": i, "first_line": d.source_lines[0],
                          "last_line": d.source_lines[1], "version_key": versions.key(d.title),
                          "text_key": versions.text_key(d.title),
                          **{f: getattr(d, f) for f in _DOCUMENT_FIELDS}}
                         for i, d in enumerate(parsed.documents)]
            if documents:
                session.execute(insert(DocumentRow), documents)
            provisions = [{"document_id": d.id, "ord": p.order, **{f: getattr(p, f) for f in _PROVISION_FIELDS}}
                          for d in parsed.documents for p in d.provisions]
            if provisions:
                session.execute(insert(ProvisionRow), provisions)
            if vectors:
                session.execute(insert(VectorRow), _vector_rows(vectors))
                if not model:
                    raise ValueError("vectors are stored with the model they came from")
                session.merge(SettingRow(key=EMBEDDED_WITH, value=model))
            _add_repeals(session, stated)
            changed, links = _relink(session, scope)
            repealed, repeal_links = _relink_repeals(session, repeal_scope)
        new_ids = {d.id for d in parsed.documents}
        return Written(old_ids, [doc_id for doc_id in dict.fromkeys(changed + repealed) if doc_id not in new_ids],
                       {doc_id: link for doc_id, link in links.items() if doc_id in new_ids},
                       {doc_id: link for doc_id, link in repeal_links.items() if doc_id in new_ids})

    def add_vectors(self, vectors: dict[tuple[str, str], bytes], model: str) -> None:
        """Vectors embedded by `model`, beside those of the same model stored before."""
        if not vectors:
            return
        with Session(self.engine) as session, session.begin():
            session.merge(SettingRow(key=EMBEDDED_WITH, value=model))
            keys = list(vectors)
            for start in range(0, len(keys), KEYS_A_QUERY):
                session.execute(delete(VectorRow).where(
                    _keyed(VectorRow.document_id, VectorRow.eid, keys[start:start + KEYS_A_QUERY])))
            session.execute(insert(VectorRow), _vector_rows(vectors))

    def embedded_with(self) -> str | None:
        """The model the stored vectors come from; None when there are none, "" for vectors stored before the
        library kept this (a library of an earlier huiqi, whose settings table a read-only open cannot make)."""
        with Session(self.engine) as session:
            if session.scalar(select(VectorRow.eid).limit(1)) is None:
                return None
            try:
                setting = session.get(SettingRow, EMBEDDED_WITH)
            except OperationalError:  # no settings table
                return ""
            return setting.value if setting else ""

    def replace_vectors(self, vectors: dict[tuple[str, str], bytes], model: str) -> None:
        """Every vector at once, embedded by `model`: those of the model before go in the same transaction."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(VectorRow))
            if vectors:
                session.execute(insert(VectorRow), _vector_rows(vectors))
            session.merge(SettingRow(key=EMBEDDED_WITH, value=model))

    def vector_sizes(self) -> dict[tuple[str, str], int]:
        """(doc_id, eid) → bytes stored, without reading the vectors (a large library holds hundreds of MB)."""
        with Session(self.engine) as session:
            return {(doc_id, eid): size for doc_id, eid, size in session.execute(
                select(VectorRow.document_id, VectorRow.eid, func.length(VectorRow.vector)))}

    def vectors(self) -> list[tuple[str, str, bytes]]:
        with Session(self.engine) as session:
            return [tuple(row) for row in session.execute(select(VectorRow.document_id, VectorRow.eid,
                                                                 VectorRow.vector))]

    def hit_fields(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """What a search hit shows, for provisions found by key (dense retrieval)."""
        if not keys:
            return {}
        with Session(self.engine) as session:
            provisions = [row for start in range(0, len(keys), KEYS_A_QUERY) for row in session.scalars(
                select(ProvisionRow).where(_keyed(ProvisionRow.document_id, ProvisionRow.eid,
                                                  keys[start:start + KEYS_A_QUERY])))]
            documents = {row.id: _document(row, name) for row, name in session.execute(
                select(DocumentRow, SourceRow.name).join(SourceRow, DocumentRow.source_id == SourceRow.id)
                .where(DocumentRow.id.in_({p.document_id for p in provisions})))}
        return {(p.document_id, p.eid): {"doc_id": p.document_id, "doc_title": documents[p.document_id].title,
                                         "eid": p.eid, "citation": p.citation, "text": p.text or p.heading,
                                         "source": documents[p.document_id].source,
                                         "source_lines": [p.first_line, p.last_line],
                                         **documents[p.document_id].replacement()}
                for p in provisions}

    def remove_source(self, name: str) -> Written:
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(SourceRow).where(SourceRow.name == name))
            if row is None:
                raise NotFound(f"no source named {name!r}; `huiqi sources` lists them")
            rows = session.execute(select(DocumentRow.id, DocumentRow.version_key, DocumentRow.text_key,
                                          DocumentRow.region_code)
                                   .where(DocumentRow.source_id == row.id)).all()
            ids = [document.id for document in rows]
            repeal_scope = _repeal_scope(session, rows)
            _delete_documents(session, ids)
            session.delete(row)
            changed, _ = _relink(session, {(document.version_key, document.region_code) for document in rows})
            repealed, _ = _relink_repeals(session, repeal_scope)
        return Written(ids, list(dict.fromkeys(changed + repealed)))

    def documents(self, source: str | None = None, limit: int | None = None, offset: int = 0) -> list[Document]:
        """A page of documents in source and reading order, each with its provision count (no provisions)."""
        query = (select(DocumentRow, SourceRow.name).join(SourceRow).order_by(SourceRow.name, DocumentRow.ordinal)
                 .limit(limit).offset(offset))
        if source:
            query = query.where(SourceRow.name == source)
        with Session(self.engine) as session:
            rows = session.execute(query).all()
            counting = select(ProvisionRow.document_id, func.count()).group_by(ProvisionRow.document_id)
            if limit is not None:
                counting = counting.where(ProvisionRow.document_id.in_([row.id for row, _ in rows]))
            counts = dict(session.execute(counting).all())
        documents = []
        for row, name in rows:
            document = _document(row, name)
            document.provision_count = counts.get(row.id, 0)
            documents.append(document)
        return documents

    def document_count(self, source: str | None = None) -> int:
        query = select(func.count()).select_from(DocumentRow)
        if source:
            query = query.join(SourceRow).where(SourceRow.name == source)
        with Session(self.engine) as session:
            return session.scalar(query)

    def document(self, doc_id: str) -> Document:
        with Session(self.engine) as session:
            document = self._bare_document(session, doc_id)
            document.provisions = [_provision(p) for p in session.scalars(
                select(ProvisionRow).where(ProvisionRow.document_id == doc_id).order_by(ProvisionRow.ord))]
        return document

    def provision(self, doc_id: str, eid: str) -> tuple[Document, Provision]:
        """One provision with its document (no provisions list)."""
        with Session(self.engine) as session:
            document = self._bare_document(session, doc_id)
            row = session.scalar(select(ProvisionRow).where(ProvisionRow.document_id == doc_id,
                                                            ProvisionRow.eid == eid))
            if row is None:
                raise NotFound(f"document {doc_id} has no provision {eid!r}; `huiqi show {doc_id}` or GET "
                               f"/api/docs/{doc_id} lists them")
        return document, _provision(row)

    @staticmethod
    def _bare_document(session: Session, doc_id: str) -> Document:
        found = session.execute(select(DocumentRow, SourceRow.name).join(SourceRow)
                                .where(DocumentRow.id == doc_id)).first()
        if found is None:
            raise NotFound(f"no document with id {doc_id!r}; `huiqi docs` or GET /api/docs lists the ids")
        return _document(*found)

    def provisions(self) -> Iterator[tuple[Document, Provision]]:
        """Every provision with its document (no provisions list), for indexing; ordered by document."""
        with Session(self.engine) as session:
            query = select(DocumentRow, SourceRow.name).join(SourceRow)
            documents = {row.id: _document(row, name) for row, name in session.execute(query)}
            rows = session.scalars(select(ProvisionRow).order_by(ProvisionRow.document_id, ProvisionRow.ord)
                                   .execution_options(yield_per=2000))  # streamed, not all held at once
            for row in rows:
                yield documents[row.document_id], _provision(row)

    def empty(self) -> bool:
        """No document at all. Asked at every open: unlike a count, it reads one row however large the library."""
        with Session(self.engine) as session:
            return session.scalar(select(DocumentRow.id).limit(1)) is None

    def fingerprint(self) -> str:
        """What sources the library holds, in a few numbers (how many, the newest row and ingest, their size). The
        index keeps the fingerprint it was last brought in step with, so that a database replaced under it (restored
        from a backup, copied from another library) is noticed. One aggregate query: asked after every file."""
        with Session(self.engine) as session:
            row = session.execute(select(func.count(), func.max(SourceRow.id), func.max(SourceRow.ingested_at),
                                         func.total(SourceRow.size))).one()
        return " ".join(str(value) for value in row)

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as session:
            return {"sources": session.scalar(select(func.count()).select_from(SourceRow)),
                    "documents": session.scalar(select(func.count()).select_from(DocumentRow)),
                    "provisions": session.scalar(select(func.count()).select_from(ProvisionRow))}


def _vector_rows(vectors: dict[tuple[str, str], bytes]) -> list[dict]:
    return [{"document_id": doc_id, "eid": eid, "vector": vector} for (doc_id, eid), vector in vectors.items()]


def _delete_documents(session: Session, ids: list[str]) -> None:
    if ids:
        session.execute(delete(VectorRow).where(VectorRow.document_id.in_(ids)))
        session.execute(delete(RepealRow).where(RepealRow.document_id.in_(ids)))
        session.execute(delete(ProvisionRow).where(ProvisionRow.document_id.in_(ids)))
        session.execute(delete(DocumentRow).where(DocumentRow.id.in_(ids)))


def _relink(session: Session, scope: set[tuple[str, str | None]] | None) -> tuple[list[str], dict[str, versions.Link]]:
    """Link anew the versions among the documents of these (version key, region code) pairs (None: all documents).
    Returns the ids whose link changed, and the links found."""
    query = select(*_EDITION_COLUMNS, DocumentRow.superseded_by, DocumentRow.superseded_on)
    if scope is not None:
        scope = {(version_key, region) for version_key, region in scope if region}  # no place: no versions
        if not scope:
            return [], {}
        query = query.where(DocumentRow.version_key.in_({version_key for version_key, _ in scope}))
    rows = [row for row in session.execute(query).all()
            if scope is None or (row.version_key, row.region_code) in scope]
    links = versions.links(_edition(row) for row in rows)
    return _write_links(session, rows, links, "superseded_by", "superseded_on"), links


def _repeal_scope(session: Session, rows: list) -> set[str]:
    """The text keys that documents leaving touch: their own, and those of the texts they repeal."""
    stated = session.scalars(select(RepealRow.title_key).where(RepealRow.document_id.in_([row.id for row in rows])))
    return {row.text_key for row in rows if row.text_key} | set(stated)


def _add_repeals(session: Session, stated: dict[str, list[versions.Repeal]]) -> None:
    rows = [{"document_id": doc_id, "title_key": repeal.title_key, "doc_number": repeal.doc_number}
            for doc_id, found in stated.items() for repeal in found]
    if rows:
        session.execute(insert(RepealRow), rows)


def _relink_repeals(session: Session, scope: set[str] | None) -> tuple[list[str], dict[str, versions.Link]]:
    """Link anew the repeals of the documents of these text keys (None: all documents). Returns the ids whose link
    changed, and the links found."""
    query = select(*_EDITION_COLUMNS, DocumentRow.repealed_by, DocumentRow.repealed_on)
    stated = select(RepealRow.title_key, RepealRow.doc_number, *_EDITION_COLUMNS).join(
        DocumentRow, RepealRow.document_id == DocumentRow.id)
    if scope is not None:
        if not scope:
            return [], {}
        query = query.where(DocumentRow.text_key.in_(scope))
        stated = stated.where(RepealRow.title_key.in_(scope))
    rows = session.execute(query).all()
    links = versions.repeal_links((_edition(row) for row in rows),
                                  ((_edition(row), versions.Repeal(row.title_key, row.doc_number))
                                   for row in session.execute(stated)))
    return _write_links(session, rows, links, "repealed_by", "repealed_on"), links


def _edition(row) -> versions.Edition:
    return versions.Edition(row.id, row.title, row.region_code, tuple(row.issuers or ()),
                            row.effective_from or row.date, row.doc_number)


def _write_links(session: Session, rows: list, links: dict[str, versions.Link], by: str, on: str) -> list[str]:
    """Store the links found in the columns `by` and `on` of the rows whose link changed; returns their ids."""
    changes = []
    for row in rows:
        link = links.get(row.id)
        now = {by: link.by if link else None, on: link.on if link else None}
        if (now[by], now[on]) != (getattr(row, by), getattr(row, on)):
            changes.append({"id": row.id, **now})
    if changes:
        session.execute(update(DocumentRow), changes)
    return [change["id"] for change in changes]


def _keyed(document_id: InstrumentedAttribute[str], eid: InstrumentedAttribute[str],
           keys: list[tuple[str, str]]) -> ColumnElement[bool]:
    """Rows whose (document_id, eid) is one of `keys` (at most KEYS_A_QUERY). Not a row-value IN, which SQLite
    answers by scanning the whole table (2.2 ms, not 0.9, for ten provisions of the corpus, and growing with it): each
    pair is looked up in the index."""
    return or_(*(and_(document_id == doc_id, eid == provision_eid) for doc_id, provision_eid in keys))


def _document(row: DocumentRow, source_name: str) -> Document:
    return Document(id=row.id, source=source_name, source_lines=(row.first_line, row.last_line),
                    superseded_by=row.superseded_by, superseded_on=row.superseded_on,
                    repealed_by=row.repealed_by, repealed_on=row.repealed_on,
                    **{f: getattr(row, f) for f in _DOCUMENT_FIELDS})


def _provision(row: ProvisionRow) -> Provision:
    return Provision(order=row.ord, **{f: getattr(row, f) for f in _PROVISION_FIELDS})
