"""`huiqi` command line: each command parses its arguments, calls one Library method, renders the result.

Human-readable output by default; `--json` prints JSON (JSON Lines for lists) with stable keys.
Exit codes: 0 success, 1 some input failed, 2 unreadable input or bad usage, 3 no document recognised,
4 not found.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.table import Table

from huiqi import read
from huiqi.clean import CONTROL
from huiqi.cli_common import HomeOption, JsonOption, emit_json, err, handles_errors, out, progress_bars, say
from huiqi.errors import BadRequest, NotFound
from huiqi.library import IngestResult, Library
from huiqi.records import Document
from huiqi.search import Filters
from huiqi.search.query import MAX_QUERY_CHARS, blank, check_length

app = typer.Typer(help="惠企 huiqi: turn policy compilations into a searchable policy library.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False)
eval_app = typer.Typer(help="Score huiqi against hand-checked evaluation sets.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print throughput and latency.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")

# SQLAlchemy logs a failure it has dealt with itself (a cursor Ctrl-C left open) with a traceback, through Python's
# last-resort handler; what matters reaches the user as an exception, with a message.
logging.getLogger("sqlalchemy").addHandler(logging.NullHandler())

RELATED_SHOWN = 3  # a grouped hit's other provisions named on the terminal


@app.command()
@handles_errors
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .docx .pdf .html).")],
           home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Read, split, parse and store policy compilations. Re-ingesting unchanged files does nothing.

    Example: huiqi ingest ../shared/corpus
    """
    with progress_bars(as_json) as progress:
        task = progress.add_task("ingesting", total=None)  # the number of files is known once they are listed
        passages = progress.add_task("embedding passages", visible=False)

        def advance(result: IngestResult, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"ingested {result.file}")
            progress.update(passages, visible=False)
            _report(result, as_json)

        def embedded(done: int, total: int) -> None:
            if done == 0:  # a file's embedding starts: its clock too
                progress.reset(passages, total=total, visible=True)
            progress.update(passages, completed=done)

        def indexing() -> None:
            progress.update(passages, visible=False)
            progress.update(task, visible=False)
            progress.add_task("indexing the library (its dictionary grown from all of it)", total=None)

        results = Library(home).ingest(paths, progress=advance, embedding=embedded, indexing=indexing)
    if not results:
        raise BadRequest("no supported files found in the given paths (.txt .md .docx .pdf .html)")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        codes = {r.exit_code for r in failed}
        raise typer.Exit(codes.pop() if len(failed) == len(results) and len(codes) == 1 else 1)


def _report(result: IngestResult, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_dict())
    elif result.status == "failed":
        say(("✗", "red"), f" {result.error}", console=err)
    elif result.status == "unchanged":
        say(f"= {result.file}: unchanged (same bytes as already ingested)")
    elif result.status == "duplicate":
        say(f"= {result.file}: {result.notes[0]}")
    else:
        verb = "replaced" if result.status == "replaced" else "ingested"
        say(f"✓ {result.file}: {verb} {result.documents} documents, {result.provisions} provisions, "
            f"{result.warnings} warnings ({result.seconds:.2f} s)")
        for note in result.notes:
            say(("note:", "yellow"), f" {note}", console=err)


@app.command()
@handles_errors
def docs(source: Annotated[str | None, typer.Option(help="Only documents of this source file.")] = None,
         home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the documents in the library.

    Example: huiqi docs --json
    """
    library = Library(home, create=False)
    documents = library.documents(source)
    if source is not None and not documents and library.store.source(source) is None:
        raise NotFound(f"no source named {source!r}; `huiqi sources` lists them")
    if as_json:
        for document in documents:
            emit_json(document.summary())
        return
    table = Table(box=None)
    for column, width in (("id", 12), ("成文日期", 10), ("文号", 20), ("地区", 6), ("条目", 4), ("标题", None)):
        table.add_column(column, no_wrap=True, overflow="ellipsis", min_width=width, max_width=width)
    for d in documents:
        table.add_row(*(CONTROL.sub("", cell) for cell in (
            d.id, d.date.isoformat() if d.date else "", d.doc_number or "", d.region or "", str(d.provision_count),
            d.title + _replaced_note(d) + (f"  ⚠{len(d.warnings)}" if d.warnings else ""))))
    out.print(table)
    out.print(f"{len(documents)} documents")


def _replaced_note(document: Document) -> str:
    """When a document is no longer in force because a later version, or a text repealing it, took effect."""
    if document.replaced_on is None:
        return ""
    how = "被新版本替代" if document.replaced_on == document.superseded_on else "废止"
    return f"  （{document.replaced_on.isoformat()} 起{how}）"


@app.command()
@handles_errors
def show(doc_id: str, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show a document's metadata and provision tree.

    Example: huiqi show 1928cea18ada
    """
    document = Library(home, create=False).document(doc_id)
    if as_json:
        emit_json(document.to_dict())
        return
    for key, value in document.summary().items():
        if key != "provisions" and value not in (None, [], ""):
            say((key, "bold"), f": {value}")
    out.print()
    for p in document.provisions:
        label = " ".join(x for x in (p.num, p.heading) if x)
        text = p.text.replace("\n", " ")
        say("  " * p.depth, (p.eid, "cyan"), f" {label} {text[:60]}{'…' if len(text) > 60 else ''}")


@app.command()
@handles_errors
def export(doc_id: str,
           fmt: Annotated[str, typer.Option("--format", "-f", help="json | markdown | akn")] = "json",
           home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Export one document as JSON, Markdown or Akoma Ntoso 3.0 XML; with --json, as one JSON line {doc_id, format,
    content}.

    Example: huiqi export 1928cea18ada --format akn
    """
    content = Library(home, create=False).export(doc_id, fmt)
    if as_json:
        emit_json({"doc_id": doc_id, "format": fmt, "content": content})
    else:
        sys.stdout.write(content)


@app.command()
@handles_errors
def sources(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List ingested source files.

    Example: huiqi sources
    """
    rows = Library(home, create=False).sources()
    for row in rows:
        if as_json:
            emit_json(row)
        else:
            say(f"{row['name']}  {row['format']}/{row['encoding']}  {row['size']} bytes  {row['ingested_at']}")


@app.command()
@handles_errors
def remove(source: str, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Remove a source file and all its documents from the library.

    Example: huiqi remove 001_bf5e8a97a1a13c8b.txt
    """
    source = read.file_name(source)  # named as ingest named it: a GBK name read as such, a newline as a space
    removed = Library(home, create=False).remove(source)
    if as_json:
        emit_json({"source": source, "removed_documents": len(removed)})
    else:
        say(f"removed {source}: {len(removed)} documents")


def _filters(region, level, issuer, genre, since, until, in_force) -> Filters:
    return Filters(region=region, level=level, issuer=issuer, genre=genre, date_from=since, date_to=until,
                   in_force=in_force)


@app.command()
@handles_errors
def search(words: Annotated[list[str] | None, typer.Argument(metavar="QUERY", help="Question or keywords (quotes "
                                                                                      "optional).")] = None,
           k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many hits.")] = 10,
           queries: Annotated[Path | None, typer.Option(help="Batch: a query a line ('-': standard input); a "
                                                            "JSON object each, in order.")] = None,
           region: Annotated[str | None, typer.Option(help="江苏省, 漯河市 or a GB/T 2260 code; national "
                                                           "policies always included.")] = None,
           level: Annotated[str | None, typer.Option(help="national | provincial | municipal | county")] = None,
           issuer: Annotated[str | None, typer.Option(help="Issuing organ, any of its names (发改委).")] = None,
           genre: Annotated[str | None, typer.Option(help="通知, 意见, 办法 …")] = None,
           since: Annotated[str | None, typer.Option(help="成文日期 on or after YYYY-MM-DD.")] = None,
           until: Annotated[str | None, typer.Option(help="成文日期 on or before YYYY-MM-DD.")] = None,
           in_force: Annotated[str | None, typer.Option(help="In force on YYYY-MM-DD.")] = None,
           group: Annotated[bool, typer.Option(help="One hit per document, others listed under it.")] = False,
           home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Search provisions in everyday words; hits come with their citation and source lines.

    Example: huiqi search "买设备的贷款利息能报销一部分吗" --region 江苏 -k 5
    """
    query = " ".join(words or [])  # 公司法 设立, typed without quotes, is one query
    filters = _filters(region, level, issuer, genre, since, until, in_force)
    if query and queries is not None:
        raise BadRequest("give a QUERY or --queries FILE, not both")
    if not query and queries is None:
        raise BadRequest("give a QUERY or --queries FILE")
    if query:
        check_length(query)
    stream = _query_stream(queries) if queries is not None else None  # the question is checked before the library
    library = Library(home, create=False)
    empty = library.empty()
    if empty:
        say(("note:", "yellow"), f" the library at {library.home} holds no documents; run huiqi ingest FILES first "
            "(or pass --home)", console=err)
    if stream is not None:
        if _batch(library, *stream, k, filters, group):
            raise typer.Exit(1)
        return
    result = library.search(query, k=k, filters=filters, group=group)
    if as_json:
        emit_json(result.to_dict())
        return
    for rank, hit in enumerate(result.hits, start=1):
        text = hit.text.replace("\n", " ")
        replaced = f"  （{hit.replaced_on} 起失效）" if hit.replaced_on else ""  # a later version or a repeal ends it
        say((f"{rank}. {hit.citation}", "bold"), (replaced, "yellow"),
            (f"  {hit.source}:{hit.source_lines[0]}-{hit.source_lines[1]}  score {hit.score:.1f}", "dim"))
        say(f"   {text[:120]}{'…' if len(text) > 120 else ''}")
        if hit.related:  # the first few; --json lists them all
            shown = "; ".join(other["citation"] for other in hit.related[:RELATED_SHOWN])
            more = f" and {len(hit.related) - RELATED_SHOWN} more" if len(hit.related) > RELATED_SHOWN else ""
            say((f"   also {shown}{more}", "dim"))
    say((f"{len(result.hits)} hit{'' if len(result.hits) == 1 else 's'} in {result.took_ms:.1f} ms", "dim"))
    if len(result.hits) == k and not group and library.index.named(query).listed:
        say(("note:", "yellow"), f" the provisions cited or named may go on past these {k}; -k 100 lists more",
            console=err)
    if library.left_to_writer:
        say(("note:", "yellow"), " another process is writing this library; these results come from its index as it "
            "was, and may be incomplete until that process ends", console=err)
    elif not result.hits and not empty:
        if filters != Filters() and library.search(query, k=1).hits:  # the words are found: a filter left nothing
            say(("note:", "yellow"), " the words are found, but not in documents these filters let through; drop or "
                "change a filter", console=err)
        elif library.index.named(query).numbers:
            say(("note:", "yellow"), " the document the 文号 names holds none of the other words; leave the 文号 "
                "out to search every document", console=err)
        else:
            say(("note:", "yellow"), " no provision holds these words; try fewer or other words (贷款贴息, 稳岗补贴)",
                console=err)


def _query_stream(queries: Path) -> tuple[BinaryIO, str]:
    """The open --queries file ('-': standard input) and its name for messages."""
    if str(queries) == "-":
        return sys.stdin.buffer, "standard input"
    if queries.is_dir() or not queries.exists():
        raise BadRequest(f"{queries}: {'a folder' if queries.exists() else 'no such file'}; --queries takes a text "
                         "file with one query a line")
    return queries.open("rb"), queries.name  # not only regular files: a pipe, <(command)


def _batch(library: Library, stream: BinaryIO, name: str, k: int, filters: Filters, group: bool) -> int:
    """One JSON object a line of `stream`, in order, each written as soon as it is answered; a line too long, or
    not text in the stream's encoding, is answered in its place with an "error". Returns the number of such
    lines."""
    failed = answered = 0
    with stream:
        for line in read.stream_lines(stream, name, longest=MAX_QUERY_CHARS + 1):
            answered += 1
            try:
                if isinstance(line, read.DamagedLine):
                    raise BadRequest(line.message())
                check_length(line)
            except BadRequest as exc:
                failed += 1
                text = line.text if isinstance(line, read.DamagedLine) else line
                emit_json({"query": text[:MAX_QUERY_CHARS], "took_ms": 0.0, "hits": [], "error": str(exc)})
            else:  # any other BadRequest (a --region no place has) stops the run once rather than at every line
                emit_json(library.search(line, k=k, filters=filters, group=group).to_dict() if not blank(line)
                          else {"query": line, "took_ms": 0.0, "hits": []})
            sys.stdout.flush()  # whoever reads a pipe gets each answer as soon as its question is answered
    if not answered:
        say(("note:", "yellow"), f" {name} holds no queries (it is empty); put one query a line", console=err)
    elif failed:
        say(("note:", "yellow"), f" {failed} of {answered} lines were answered with an \"error\" instead of hits",
            console=err)
    return failed


@app.command()
@handles_errors
def index(rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-grow the dictionary and re-index.")] = False,
          home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show the search index, or rebuild it from the library.

    Example: huiqi index --rebuild
    """
    library = Library(home, create=False)
    added = None
    if rebuild:
        with progress_bars(as_json) as progress:
            passages = progress.add_task("embedding passages", total=None, visible=False)
            added = library.rebuild_index(
                embedding=lambda done, total: progress.update(passages, completed=done, total=total, visible=True))
    info = {"provisions_indexed": added if rebuild else None, "index_entries": library.index.count(),
            "grown_terms": len(library.index.grown_terms()), **library.summary()}
    if as_json:
        emit_json(info)
    else:
        out.print(" ".join(f"{key}={value}" for key, value in info.items() if value is not None))


@app.command()
@handles_errors
def serve(host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
          client_timeout: Annotated[float | None, typer.Option(
              min=0.1, show_default=False, help="Seconds a client may keep the server waiting, to send a request's "
              "line and headers or to read an answer, before it is cut off (408 for slow headers)  [default: 20]",
          )] = None,
          client_connections: Annotated[int | None, typer.Option(
              min=1, show_default=False, help="Connections one client address may hold open at once; one more is "
              "answered 429 and closed. Behind a reverse proxy, every request in flight counts  [default: 64]",
          )] = None,
          client_rate: Annotated[float | None, typer.Option(
              min=0, show_default=False, help="Requests a second one client address may send, on average (bursts of "
              "twice that); more are answered 429 with Retry-After. 0: no limit. Behind a reverse proxy, all requests "
              "come from its address  [default: 50]")] = None,
          home: HomeOption = None) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, interactive docs at /docs).

    Example: huiqi serve --port 8000
    """
    import uvicorn

    from huiqi.api import CLIENT_RATE, HuiqiHTTP, create_app

    try:  # bound first, so that a port in use is a message of ours, before minutes of index rebuilding
        family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
        listener = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise BadRequest(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port or --host") from None
    library = Library(home)
    library.index  # noqa: B018 - open (and if needed rebuild) the index before the first request
    url_host = f"[{host}]" if family == socket.AF_INET6 else host  # http://[::1]:8000, as a browser takes it
    err.print(f"huiqi serving {library.home} on http://{url_host}:{port}  (Ctrl-C stops)")
    limits = {"timeout": client_timeout, "per_client": client_connections}
    protocol = partial(HuiqiHTTP, **{name: value for name, value in limits.items() if value is not None})
    app = create_app(library, CLIENT_RATE if client_rate is None else client_rate)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=protocol))
    # uvicorn shuts down gracefully on SIGINT and SIGTERM; a closed terminal (SIGHUP) is taken as SIGTERM
    signal.signal(signal.SIGHUP, lambda _number, frame: server.handle_exit(signal.SIGTERM, frame))
    server.run(sockets=[listener])


def _report_out(report, as_json: bool, verbose: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
    else:
        out.print(report.render(verbose))


@eval_app.command("catalog")
@handles_errors
def eval_catalog(gold: Path,
                 corpus: Annotated[Path, typer.Option(help="Folder holding the files the catalog names.")] = Path(
                     "../shared/corpus"),
                 as_json: JsonOption = False,
                 verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every document missed or wrong.")]
                 = False) -> None:
    """Score document splitting and metadata against a hand-checked catalog (JSON Lines).

    Example: huiqi eval catalog eval/catalog.jsonl --corpus ../shared/corpus
    """
    from huiqi.evaluate import score_catalog

    _report_out(score_catalog(gold, corpus), as_json, verbose)


@eval_app.command("search")
@handles_errors
def eval_search(qa: Annotated[list[Path], typer.Argument(help="One or more question files (JSON Lines).")],
                corpus: Annotated[Path, typer.Option(help="Folder holding the files the questions name (all of "
                                                          "them are searched when a question names none).")] = Path(
                    "../shared/corpus"),
                dense: Annotated[bool | None, typer.Option(
                    "--dense/--no-dense", help="Also score lexical + dense fusion (needs huiqi[dense]; embedding the "
                    "corpus takes minutes). Default: on where the extra is installed, unless HUIQI_DENSE=0.")] = None,
                as_json: JsonOption = False,
                verbose: Annotated[bool, typer.Option(
                    "-v", "--verbose", help="List every question whose answer huiqi does not rank first.")] = False
                ) -> None:
    """Recall@1/5/10 and MRR on question sets (JSON Lines with question and quote; source, id, also optional),
    for huiqi and, in the same run, for 500-character chunks + BM25 (bm25s) over jieba tokens. Several sets share
    one library.

    Example: huiqi eval search eval/search_qa.jsonl eval/search_qa_heldout.jsonl --corpus ../shared/corpus
    """
    from huiqi.evaluate import score_search
    from huiqi.search import dense as dense_search

    _report_out(score_search(qa, corpus, dense=dense_search.wanted() if dense is None else dense), as_json, verbose)


def _print_bench(report: dict, as_json: bool) -> None:
    if as_json:
        emit_json(report)
    else:
        for line in report["lines"]:
            out.print(line)


@bench_app.command("ingest")
@handles_errors
def bench_ingest(paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders.")] = None,
                 runs: Annotated[int, typer.Option(min=1, help="Timed runs (after one warm-up).")] = 5,
                 as_json: JsonOption = False) -> None:
    """Time read → clean → split → parse → store over a corpus; prints MB/s and per-file latency.

    Example: huiqi bench ingest ../shared/corpus --runs 5
    """
    from huiqi.bench import bench_ingest as run

    report = run(paths or [Path("../shared/corpus")], runs)
    _print_bench(report, as_json)


@bench_app.command("search")
@handles_errors
def bench_search(paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to build the library from.")]
                 = None,
                 queries: Annotated[Path, typer.Option(help="Question set (JSON Lines with 'question').")] = Path(
                     "eval/search_qa.jsonl"),
                 home: Annotated[Path | None, typer.Option(help="Keep the built library here and reuse it.")] = None,
                 runs: Annotated[int, typer.Option(min=1, help="Passes over the question set.")] = 3,
                 as_json: JsonOption = False) -> None:
    """Search latency (p50/p95/p99, k=10) on a library of ≥100k provisions, beside the chunk+BM25 baseline.

    Example: huiqi bench search ../shared/laws ../shared/corpus --home /tmp/huiqi-bench
    """
    from huiqi.bench import bench_search as run

    report = run(paths or [Path("../shared/laws"), Path("../shared/corpus")], queries, home, runs)
    _print_bench(report, as_json)


if __name__ == "__main__":  # pragma: no cover
    app()
