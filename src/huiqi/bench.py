"""`huiqi bench …`: timings a reader can rerun. Each prints the machine, the corpus, the runs and the figures."""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from huiqi import read
from huiqi.clean import clean
from huiqi.errors import BadRequest
from huiqi.library import Library, expand_paths
from huiqi.parse import parse_source
from huiqi.split import split


def machine() -> str:
    return (f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _readable(paths: list[Path]) -> list[tuple[Path, str]]:
    """The files to time: named paths must exist and hold at least one supported file."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise BadRequest(f"no such file or folder: {', '.join(missing)}")
    named = expand_paths(paths)
    if not named:
        raise BadRequest(f"no supported files in {', '.join(map(str, paths))} (.txt .md .docx .pdf .html)")
    return named


def bench_ingest(paths: list[Path], runs: int) -> dict:
    """Whole ingest (read → clean → split → parse → one SQLite transaction per file) into a fresh library,
    beside the stages alone, so the figure shows where the time goes."""
    named = _readable(paths)
    files = [path for path, _name in named]
    size = sum(f.stat().st_size for f in files)
    stage_times: dict[str, list[float]] = {"read": [], "read+clean": [], "read+clean+split": [],
                                           "read+parse": []}
    totals: list[float] = []
    per_file: list[float] = []
    documents = provisions = 0
    for run in range(runs + 1):  # the first run warms caches (jieba dictionary, imports) and is not counted
        with tempfile.TemporaryDirectory() as home:
            library = Library(home, dense=False)
            started = time.perf_counter()
            results = library.ingest(paths)  # as `huiqi ingest` does: indexed together at the end
            elapsed = time.perf_counter() - started
        if run:
            totals.append(elapsed)
            per_file += [r.seconds for r in results]
        documents = sum(r.documents for r in results)
        provisions = sum(r.provisions for r in results)
        if run:
            for name, stage in (("read", _read), ("read+clean", _clean), ("read+clean+split", _split),
                                ("read+parse", _parse)):
                begun = time.perf_counter()
                for f in files:
                    stage(f)
                stage_times[name].append(time.perf_counter() - begun)
    best, median = min(totals), statistics.median(totals)
    mb = size / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [f"machine: {machine()}",
             f"corpus: {len(files)} files, {mb:.2f} MB, {documents} documents, {provisions} provisions",
             f"runs: {runs} (after 1 warm-up)",
             f"ingest (read → parse → store → index): median {median:.3f} s, best {best:.3f} s, {mb / median:.2f} MB/s "
             f"(best {mb / best:.2f} MB/s)",
             f"per file: p50 {percentile(per_file, 50) * 1000:.0f} ms, p95 {percentile(per_file, 95) * 1000:.0f} ms, "
             f"p99 {percentile(per_file, 99) * 1000:.0f} ms"]
    lines += [f"  stage {name:<18} median {statistics.median(t):.3f} s" for name, t in stage_times.items()]
    lines.append(f"peak memory (RSS): {peak:.0f} MB")
    return {"machine": machine(), "files": len(files), "megabytes": round(mb, 3), "documents": documents,
            "provisions": provisions, "runs": runs, "median_s": round(median, 4), "best_s": round(best, 4),
            "mb_per_s": round(mb / median, 3),
            "per_file_ms": {q: round(percentile(per_file, q) * 1000, 1) for q in (50, 95, 99)},
            "stages_s": {name: round(statistics.median(t), 4) for name, t in stage_times.items()},
            "peak_rss_mb": round(peak), "lines": lines}


def _read(path: Path) -> None:
    read.read_source(path)


def _clean(path: Path) -> None:
    clean(read.read_source(path).lines)


def _split(path: Path) -> None:
    split(clean(read.read_source(path).lines))


def _parse(path: Path) -> None:
    parse_source(read.read_source(path))


def _lookups(library: Library, runs: int, k: int) -> dict[str, tuple[list[float], int, int]]:
    """Every numbered document looked up by its 文号, as printed and typed as 2024年7号, and every document's middle
    article cited by its title ('公司法第一百三十三条'): the times, how many put the document (or one sharing its
    number or title) first, or that article of it, and how many were asked."""
    from huiqi.search.query import document_number_key
    from huiqi.search.tokens import normalise
    from huiqi.versions import text_key

    documents = library.documents()
    carrying: dict[str | None, set[str]] = {}
    titled: dict[str, set[str]] = {}
    for document in documents:
        carrying.setdefault(document.doc_number and document_number_key(document.doc_number), set()).add(document.id)
        titled.setdefault(text_key(normalise(document.title)), set()).add(document.id)
    numbers = [(spelling, carrying[document_number_key(number)], "") for document in documents
               if (number := document.doc_number)
               for spelling in dict.fromkeys([number, number.replace("〔", "").replace("〕", "年")])]
    articles = []
    for document in documents:
        cited = [provision for provision in library.document(document.id).provisions if provision.kind == "article"
                 and provision.num.startswith("第") and provision.num.endswith("条")]
        if cited:
            middle = cited[len(cited) // 2]
            key = text_key(normalise(document.title))
            articles.append((f"{key}{middle.num}", titled[key], middle.eid.rpartition("__")[2]))
    report = {}
    for name, cases in (("文号", numbers), ("article", articles)):
        took, found = [], 0
        for run in range(runs):
            for query, wanted, article in cases:
                started = time.perf_counter()
                hits = library.search(query, k=k).hits
                took.append((time.perf_counter() - started) * 1000)
                found += (run == 0 and bool(hits) and hits[0].doc_id in wanted
                          and (not article or article in hits[0].eid.split("__")))
        report[name] = (took, found, len(cases))
    return report


def bench_search(sources: list[Path], queries_file: Path, home: Path | None, runs: int, k: int = 10) -> dict:
    """Query latency on a library of ≥100k provisions (the laws collection and the corpus), k=10, lexical
    path, beside the chunk+BM25 baseline over the same files, in one run."""
    from huiqi.evaluate import load_jsonl
    from huiqi.search import Filters
    from huiqi.search.baseline import ChunkBM25

    named = _readable(sources)
    questions = [row.get("question") if isinstance(row, dict) else None for row in load_jsonl(queries_file)]
    if not questions or not all(isinstance(question, str) and question.strip() for question in questions):
        raise BadRequest(f"{queries_file}: want JSON Lines, each with a \"question\" (e.g. eval/search_qa.jsonl)")
    work = Path(home) if home else Path(tempfile.mkdtemp(prefix="huiqi-bench-"))
    library = Library(work, dense=False)  # the lexical path; dense has its own figures (README)
    built = time.perf_counter()
    library.ingest(sources)
    build_s = time.perf_counter() - built
    summary = library.summary()
    library.search("贴息")  # open the searcher before timing
    lexical, filtered = [], []
    for _ in range(runs):
        for question in questions:
            started = time.perf_counter()
            library.search(question, k=k)
            lexical.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            library.search(question, k=k, filters=Filters(region="江苏省"))
            filtered.append((time.perf_counter() - started) * 1000)
    lookups = _lookups(library, runs, k)
    begun = time.perf_counter()
    baseline = ChunkBM25({name: "\n".join(read.read_source(path).lines) for path, name in named})
    baseline_build_s = time.perf_counter() - begun
    chunked = []
    for _ in range(runs):
        for question in questions:
            started = time.perf_counter()
            baseline.search(question, k=k)
            chunked.append((time.perf_counter() - started) * 1000)

    def row(name: str, values: list[float]) -> str:
        return (f"{name:<40} p50 {percentile(values, 50):6.2f} ms  p95 {percentile(values, 95):6.2f} ms  "
                f"p99 {percentile(values, 99):6.2f} ms  {1000 * len(values) / sum(values):7.0f} queries/s")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [f"machine: {machine()}",
             f"library: {summary['documents']} documents, {summary['provisions']} provisions, "
             f"{library.index.count()} index entries (passages) from {len(named)} files; "
             f"ingest + index {build_s:.0f} s (0 s when --home already holds it)",
             f"queries: {len(questions)} questions from {queries_file.name} × {runs} runs, k={k}",
             row("huiqi lexical", lexical), row("huiqi lexical + region filter (江苏省)", filtered),
             row("huiqi 文号 lookup", lookups["文号"][0]),
             row("huiqi cited article (公司法第十条)", lookups["article"][0]),
             f"文号 lookups (every numbered document's, as printed and as 2024年7号): {lookups['文号'][1]} of "
             f"{lookups['文号'][2]} put their document first; cited articles (every document's middle one): "
             f"{lookups['article'][1]} of {lookups['article'][2]} put that article first",
             row("baseline: 500-char chunks + bm25s", chunked),
             f"baseline chunks: {len(baseline.chunks)}, built in {baseline_build_s:.0f} s",
             f"peak memory (RSS): {peak:.0f} MB"]
    report = {"machine": machine(), **summary, "index_entries": library.index.count(), "files": len(named),
              "queries": len(questions), "runs": runs, "k": k,
              "latency_ms": {name: {q: round(percentile(v, q), 3) for q in (50, 95, 99)}
                             for name, v in (("lexical", lexical), ("lexical_region", filtered),
                                             ("doc_number", lookups["文号"][0]),
                                             ("cited_article", lookups["article"][0]), ("baseline", chunked))},
              "found_first": {name: list(found[1:]) for name, found in lookups.items()},
              "lines": lines}
    if home is None:
        shutil.rmtree(work, ignore_errors=True)
    return report
