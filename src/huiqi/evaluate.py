"""Evaluation against a hand-checked catalog: one JSON object per document with source, title, doc_number,
issuers, date, first_line and last_line (see eval/CATALOG_CONVENTIONS.md).

Boundaries: a predicted document is correct when it starts on the gold first line (precision over predicted
documents, recall over gold ones). Fields: exact match (titles and issuers compared without whitespace) over
all gold documents — a document the parser missed counts as wrong in every field.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huiqi import read
from huiqi.errors import BadRequest
from huiqi.parse import parse_source
from huiqi.patterns import ORGAN_SUFFIX
from huiqi.records import Document
from huiqi.split import norm_title

FIELDS = ("title", "doc_number", "issuers", "date")


@dataclass
class CatalogReport:
    files: list[str]
    gold: int
    predicted: int
    matched: int
    ends_matched: int
    field_correct: dict[str, int]
    artefact_titles: list[str]
    mismatches: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def accuracy(self, name: str) -> float:
        return self.field_correct[name] / self.gold if self.gold else 0.0

    def to_dict(self) -> dict:
        return {"files": self.files, "gold_documents": self.gold, "predicted_documents": self.predicted,
                "boundary": {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                             "f1": round(self.f1, 4)},
                "end_line_agreement": round(self.ends_matched / self.matched, 4) if self.matched else 0.0,
                "field_accuracy": {name: round(self.accuracy(name), 4) for name in FIELDS},
                "titles_with_artefacts": self.artefact_titles, "mismatches": self.mismatches}

    def render(self, verbose: bool = False) -> str:
        lines = [f"catalog: {self.gold} gold documents in {len(self.files)} files, {self.predicted} predicted",
                 f"boundary  precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}",
                 f"end line  {self.ends_matched}/{self.matched} matched documents end on the gold line"]
        lines += [f"{name:<10} accuracy {self.accuracy(name):.3f}" for name in FIELDS]
        lines.append(f"titles with PDF artefacts: {len(self.artefact_titles)}")
        if verbose:
            lines += ["", *self.mismatches, *(f"artefact: {t}" for t in self.artefact_titles)]
        return "\n".join(lines)


def load_jsonl(path: Path) -> list[dict]:
    return [row for _, row in _numbered_rows(path)]


def _numbered_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, value) for each non-blank line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{path}: cannot read it as UTF-8 JSON Lines ({exc})") from None
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise BadRequest(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return rows


def load_catalog(path: Path) -> list[dict]:
    """A gold catalog, each line checked for what scoring needs: a line without it is named, not a KeyError."""
    gold = []
    for number, row in _numbered_rows(path):
        if not isinstance(row, dict):
            raise BadRequest(f"{path}:{number}: not a JSON object")
        for name, kind in (("source", str), ("title", str), ("first_line", int), ("last_line", int)):
            if not isinstance(row.get(name), kind) or isinstance(row.get(name), bool):
                raise BadRequest(f"{path}:{number}: '{name}' must be a {'line number' if kind is int else 'string'}"
                                 " (each line needs source, title, first_line and last_line; see "
                                 "eval/CATALOG_CONVENTIONS.md)")
        gold.append(row)
    if not gold:
        raise BadRequest(f"{path}: no documents in the file")
    return gold


def score_catalog(gold_path: Path, corpus: Path) -> CatalogReport:
    gold = load_catalog(gold_path)
    files = sorted({row["source"] for row in gold}, key=lambda name: [r["source"] for r in gold].index(name))
    report = CatalogReport(files, len(gold), 0, 0, 0, dict.fromkeys(FIELDS, 0), [])
    for name in files:
        predicted = parse_source(read.read_source(_locate(corpus, gold_path, name))).documents
        report.predicted += len(predicted)
        by_start = {d.source_lines[0]: d for d in predicted}
        gold_starts = {row["first_line"] for row in gold if row["source"] == name}
        for document in predicted:
            if document.source_lines[0] not in gold_starts:
                report.mismatches.append(f"{name}:{document.source_lines[0]} extra document 「{document.title}」")
            report.artefact_titles += [document.title] if title_artefacts(document.title) else []
        for row in (r for r in gold if r["source"] == name):
            document = by_start.get(row["first_line"])
            if document is None:
                report.mismatches.append(f"{name}:{row['first_line']} missed 「{row['title']}」")
                continue
            report.matched += 1
            report.ends_matched += document.source_lines[1] == row["last_line"]
            if document.source_lines[1] != row["last_line"]:
                report.mismatches.append(f"{name}:{row['first_line']} ends at {document.source_lines[1]}, "
                                         f"gold {row['last_line']}")
            for field_name in FIELDS:
                if _same(field_name, _value(document, field_name), row.get(field_name)):
                    report.field_correct[field_name] += 1
                else:
                    report.mismatches.append(f"{name}:{row['first_line']} {field_name}: gold {row.get(field_name)!r}"
                                             f" parsed {_value(document, field_name)!r}")
    return report


def _locate(corpus: Path, gold_path: Path, name: str) -> Path:
    for folder in (corpus, gold_path.parent):
        if (folder / name).is_file():
            return folder / name
    raise BadRequest(f"{name} (named in {gold_path.name}) is in neither {corpus} nor {gold_path.parent}; "
                     "pass --corpus")


def _value(document: Document, name: str):
    value = getattr(document, name)
    return value.isoformat() if name == "date" and value else value


def _same(name: str, parsed, gold) -> bool:
    if name == "title":  # bracket widths are normalised on purpose: '(试行)' and '（试行）' are one title
        return norm_title(parsed or "") == norm_title(gold or "")
    if name == "issuers":
        return [_squash(x) for x in parsed or []] == [_squash(x) for x in gold or []]
    return parsed == gold


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def title_artefacts(title: str) -> list[str]:
    """What a clean title never contains: page numbers, TOC leaders, table bars, URLs, control characters,
    spaces inside words (a space is allowed only between two organ names), a character printed twice."""
    found = []
    if re.search(r"[…·]{2,}|\.{3,}|\d$", title):
        found.append("page number or TOC leader")
    if "|" in title or "\t" in title or re.search(r"https?://", title) or re.search(r"[\x00-\x1f]", title):
        found.append("table bar, tab, URL or control character")
    for match in re.finditer(r"(\S+) (?=(\S))", title):
        if not ORGAN_SUFFIX.search(match.group(1)):
            found.append(f"space after 「{match.group(1)[-4:]}」")
    if title.count("（") != title.count("）") or title.count("《") != title.count("》"):
        found.append("unbalanced brackets")
    return found


# Search ------------------------------------------------------------------------------------------------------

@dataclass
class SearchReport:
    name: str  # the question file
    questions: int
    systems: dict[str, dict[str, float]]  # system → metric → value
    misses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"set": self.name, "questions": self.questions, "systems": self.systems, "misses": self.misses}

    def render(self, verbose: bool = False) -> str:
        lines = [f"search: {self.questions} questions ({self.name})",
                 f"{'system':<34}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR':>7}{'R@5 ref':>9}{'p50 ms':>9}{'p95 ms':>9}"]
        for name, m in self.systems.items():
            lines.append(f"{name:<34}{m['recall@1']:>7.3f}{m['recall@5']:>7.3f}{m['recall@10']:>7.3f}"
                         f"{m['mrr']:>7.3f}{m['reference_only']['recall@5']:>9.3f}{m['p50_ms']:>9.2f}"
                         f"{m['p95_ms']:>9.2f}")
        lines.append("R@k and MRR count a hit holding any judged answer (the reference quote or one in 'also'); "
                     "R@5 ref counts the reference quote alone.")
        lines += ["", f"95% intervals, bootstrap over the questions ({RESAMPLES} resamples; differences paired):",
                  f"{'system':<34}{'R@1':>14}{'R@5':>14}{'MRR':>14}{'R@1 − baseline':>18}{'MRR − baseline':>18}"]
        for name, m in self.systems.items():
            spread = m["interval95"]
            lines.append(f"{name:<34}" + "".join(f"{_span(spread[k]):>14}" for k in ("recall@1", "recall@5", "mrr"))
                         + "".join(f"{_span(spread[k], signed=True):>18}" if k in spread else f"{'':>18}"
                                   for k in ("recall@1 - baseline", "mrr - baseline")).rstrip())
        if verbose:
            lines += ["", *self.misses]
        return "\n".join(lines)


@dataclass
class SearchReports:
    """One report per question set, all scored on one library (embedded once when dense is on)."""

    reports: list[SearchReport]
    not_ingested: list[str] = field(default_factory=list)  # files that failed: their questions count as misses
    quotes_absent: list[str] = field(default_factory=list)  # ids of questions no ingested file holds a quote of

    def to_dict(self) -> dict:
        return {"sets": [report.to_dict() for report in self.reports], "not_ingested": self.not_ingested,
                "quotes_absent": self.quotes_absent}

    def render(self, verbose: bool = False) -> str:
        blocks = [report.render(verbose) for report in self.reports]
        notes = [f"not ingested (its questions count as misses): {line}" for line in self.not_ingested]
        if self.quotes_absent:
            notes.append(f"{len(self.quotes_absent)} question(s) quote text no ingested file holds (a typo, or a "
                         f"file not given; they count as misses): {', '.join(self.quotes_absent[:20])}"
                         + (" …" if len(self.quotes_absent) > 20 else ""))
        if notes:
            blocks.append("\n".join(notes))
        return "\n\n".join(blocks)


def match_key(text: str) -> str:
    """Quotes are matched after the normalisation search applies, without any whitespace."""
    from huiqi.search.tokens import normalise

    return re.sub(r"\s+", "", normalise(text))


RESAMPLES = 2000
MIN_HELD = 10  # the least of a quote a hit must hold, however short the quote
LEXICAL, RRF, RERANK = "huiqi (lexical)", "huiqi (lexical + dense, RRF)", "huiqi (lexical + dense rerank)"
BASELINE = "baseline: 500-char chunks + BM25"


# What a question file may call its fields, besides the names our own sets use.
ALIASES = {"question": ("query",), "quote": ("evidence",), "doc_title": ("document",)}


def load_questions(path: Path) -> list[dict]:
    """A question file's rows, checked. Each needs its question and the evidence quote a right hit holds (a
    string, with an optional list of other answering quotes in 'also'); 'source', the file it comes from, 'id'
    and 'doc_title' are optional (another team's set need not name our corpus files)."""
    from huiqi.search.query import MAX_QUERY_CHARS

    questions = []
    for number, row in _numbered_rows(path):
        if not isinstance(row, dict):
            raise BadRequest(f"{path}:{number}: not a JSON object")
        for name, others in ALIASES.items():
            if name not in row:
                row[name] = next((row[other] for other in others if other in row), None)
        for name in ("question", "quote"):
            if row[name] is not None and not isinstance(row[name], str):
                raise BadRequest(f"{path}:{number}: '{name}' must be a string, not {type(row[name]).__name__}")
            if not row[name] or not row[name].strip():
                raise BadRequest(f"{path}:{number}: no '{name}' (each line needs \"question\" and \"quote\", the "
                                 "text a right hit holds)")
        if not isinstance(row.get("source") or "", str):
            raise BadRequest(f"{path}:{number}: 'source' must be a file name")
        if len(row["question"]) > MAX_QUERY_CHARS:
            raise BadRequest(f"{path}:{number}: the question is longer than {MAX_QUERY_CHARS} characters, which "
                             "search refuses")
        also = row.get("also", [])
        if not isinstance(also, list) or not all(isinstance(quote, str) and quote.strip() for quote in also):
            raise BadRequest(f"{path}:{number}: 'also' must be a list of quotes, none of them blank")
        row["id"] = str(row.get("id") or f"{path.stem}:{number}")
        row["doc_title"] = str(row["doc_title"] or "")
        questions.append(row)
    if not questions:
        raise BadRequest(f"{path}: no questions in the file")
    return questions


def score_search(qa_paths: list[Path], corpus: Path, dense: bool = False) -> SearchReports:
    """Ingests the files the questions name (every file in `corpus` when some question names none) into a
    fresh library and scores each set on it."""
    from huiqi.library import Library, expand_paths
    from huiqi.search.baseline import ChunkBM25

    sets = [(path, load_questions(path)) for path in qa_paths]
    if all(q.get("source") for _, questions in sets for q in questions):
        names = sorted({q["source"] for _, questions in sets for q in questions})
        files = given = [_locate(corpus, qa_paths[0], name) for name in names]
    elif corpus.is_dir():  # ingested as a folder, so that files of one name in two sub-folders stay apart
        files, given = [path for path, _ in expand_paths([corpus])], [corpus]
    else:
        raise BadRequest(f"some questions name no source file, so every file in --corpus is searched, but "
                         f"{corpus} is not a folder")
    with tempfile.TemporaryDirectory() as home:
        library = Library(home, dense=dense)
        results = library.ingest(given)
        ingested = [file for file, result in zip(files, results, strict=True) if result.status != "failed"]
        if not ingested:
            raise BadRequest(f"none of the files the questions need could be ingested ({results[0].error})"
                             if results else f"no file to search in {corpus}")
        texts = {str(f): "\n".join(read.read_source(f).lines) for f in ingested}
        baseline = ChunkBM25(texts)
        keys = [match_key(text) for text in texts.values()]
        absent = [q["id"] for _, questions in sets for q in questions
                  if not any(match_key(answer) in key for answer in _answers(q) for key in keys)]
        reports = [_score_set(path.name, questions, library, baseline, dense) for path, questions in sets]
        return SearchReports(reports, [f"{r.file}: {r.error}" for r in results if r.status == "failed"], absent)


def _score_set(name: str, questions: list[dict], library, baseline, dense: bool) -> SearchReport:
    systems = [LEXICAL, *([RRF, RERANK] if dense else [])]
    fusion = {RRF: "rrf", RERANK: "rerank"}
    ranks: dict[str, list[int | None]] = {system: [] for system in [*systems, BASELINE]}
    reference_ranks: dict[str, list[int | None]] = {system: [] for system in ranks}
    took: dict[str, list[float]] = {system: [] for system in ranks}
    misses: list[str] = []

    def record(system: str, question: dict, texts: list[str], started: float) -> None:
        took[system].append((time.perf_counter() - started) * 1000)
        ranks[system].append(_rank(_answers(question), texts))
        reference_ranks[system].append(_rank([question["quote"]], texts))

    # One system over every question, then the next: interleaving them would time each in the wake of the
    # other (a warm cache, or BLAS threads still spinning), not as a user meets it.
    for system in systems:
        for question in questions:
            started = time.perf_counter()
            hits = library.search(question["question"], k=10, dense=system in fusion,
                                  fusion=fusion.get(system, "rerank")).hits
            record(system, question, [h.text for h in hits], started)
            if system == systems[-1] and ranks[system][-1] != 1:  # misses of the last huiqi system
                top = hits[0].citation if hits else "no hit"
                want = f"want 「{question['quote'][:24]}」 in 《{question['doc_title'][:30]}》"
                misses.append(f"{question['id']} rank {ranks[system][-1]}: {question['question']} | {want} | "
                              f"top: {top[:60]}")
    for question in questions:
        started = time.perf_counter()
        chunks = baseline.search(question["question"], k=10)
        record(BASELINE, question, [c.text for c in chunks], started)
    scores = {system: {**_rank_metrics(values), "reference_only": _rank_metrics(reference_ranks[system]),
                       "interval95": _intervals(values, None if system == BASELINE else ranks[BASELINE]),
                       "p50_ms": statistics.median(took[system]),
                       "p95_ms": statistics.quantiles(took[system], n=20)[18] if len(took[system]) > 1
                       else took[system][0]}
              for system, values in ranks.items()}
    return SearchReport(name, len(questions), scores, misses)


def _answers(question: dict) -> list[str]:
    """The reference quote, and the other provisions' quotes that pooled judging found to answer as well."""
    return [question["quote"], *question.get("also", [])]


def _rank(quotes: list[str], texts: list[str]) -> int | None:
    """The 1-based rank of the first text holding one of the quotes."""
    keys = [match_key(quote) for quote in quotes]
    return next((i for i, text in enumerate(map(match_key, texts), 1) if any(_holds(text, key) for key in keys)),
                None)


def _holds(text: str, quote: str) -> bool:
    """Does a hit hold the quote? Another team's set may quote across two provisions; then a hit holding at least
    half of the quote (at its start or end, or all of the hit inside the quote) answers."""
    if quote in text:
        return True
    half = max(MIN_HELD, (len(quote) + 1) // 2)
    if text in quote:
        return len(text) >= half
    return any(text.endswith(quote[:size]) or text.startswith(quote[-size:]) for size in range(half, len(quote)))


def _rank_metrics(ranks: list[int | None]) -> dict[str, float]:
    count = len(ranks) or 1
    return {"recall@1": sum(1 for r in ranks if r == 1) / count,
            "recall@5": sum(1 for r in ranks if r and r <= 5) / count,
            "recall@10": sum(1 for r in ranks if r and r <= 10) / count,
            "mrr": sum(1 / r for r in ranks if r) / count}


def _intervals(ranks: list[int | None], baseline: list[int | None] | None) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals of R@1, R@5 and MRR, and of the lead over the baseline on the same
    resampled questions: with a few hundred questions a point or two is noise, and this says how much."""
    if not ranks:
        return {}
    resamples = np.random.default_rng(0).integers(0, len(ranks), size=(RESAMPLES, len(ranks)))

    def means(system_ranks: list[int | None]) -> dict[str, np.ndarray]:
        return {name: np.array(values)[resamples].mean(axis=1) for name, values in _per_question(system_ranks).items()}

    found = means(ranks)
    if baseline is not None:
        theirs = means(baseline)
        found |= {f"{name} - baseline": found[name] - theirs[name] for name in ("recall@1", "mrr")}
    return {name: [round(float(v), 3) for v in np.percentile(values, [2.5, 97.5])] for name, values in found.items()}


def _per_question(ranks: list[int | None]) -> dict[str, list[float]]:
    return {"recall@1": [float(r == 1) for r in ranks], "recall@5": [float(bool(r and r <= 5)) for r in ranks],
            "mrr": [1 / r if r else 0.0 for r in ranks]}


def _span(bounds: list[float], signed: bool = False) -> str:
    low, high = (f"{b:+.3f}" if signed else f"{b:.3f}" for b in bounds)
    return f"{low} … {high}" if signed else f"{low}–{high}"
