"""The command line as a user runs it: a real process, its output, its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_pdf, pdf_lines

NOTICE = """国务院办公厅关于加快构建废弃物循环利用体系的意见
国办发〔2024〕7号
各省、自治区、直辖市人民政府：
一、总体要求。加快构建废弃物循环利用体系。
（一）主要目标。到2030年建成覆盖全面的废弃物循环利用体系。
国务院办公厅
2024年2月6日"""

CONTRACT = ["id", "title", "doc_number", "issuers", "date", "genre", "level", "region", "region_code",
            "effective_from", "effective_to", "category", "attachments", "source", "source_lines", "provisions",
            "warnings"]


def huiqi(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "HUIQI_HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "huiqi", *args], capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / "notice.txt"
    path.write_text("\n".join(pdf_lines(NOTICE)), encoding="utf-8")
    return path


def test_ingest_reports_each_file_and_docs_lists_them(tmp_path, notice_file):
    home = tmp_path / "home"
    result = huiqi(home, "ingest", str(notice_file))
    assert "✓ notice.txt: ingested 1 documents" in result.stdout
    assert "unchanged" in huiqi(home, "ingest", str(notice_file)).stdout
    listing = huiqi(home, "docs").stdout
    assert "国办发〔2024〕7号" in listing and "国务院办公厅关于加快构建废弃物循环利用体系的意见" in listing


def test_docs_json_is_the_documented_contract(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    rows = [json.loads(line) for line in huiqi(home, "docs", "--json").stdout.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == CONTRACT
    assert row["source_lines"] == [1, 13] and row["date"] == "2024-02-06" and row["provisions"] == 4
    assert isinstance(row["issuers"], list) and isinstance(row["warnings"], list)


def test_show_and_export_every_format(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    doc_id = json.loads(huiqi(home, "docs", "--json").stdout)["id"]
    shown = json.loads(huiqi(home, "show", doc_id, "--json").stdout)
    assert [p["eid"] for p in shown["provisions"]] == ["preamble", "sec_1", "sec_1__item_1", "signature"]
    assert shown["provisions"][2]["citation"] == "《国务院办公厅关于加快构建废弃物循环利用体系的意见》一、（一）"
    assert "sec_1__item_1" in huiqi(home, "show", doc_id).stdout
    assert json.loads(huiqi(home, "export", doc_id, "--format", "json").stdout)["id"] == doc_id
    assert huiqi(home, "export", doc_id, "--format", "markdown").stdout.startswith("# 国务院办公厅关于")
    assert 'eId="sec_1__item_1"' in huiqi(home, "export", doc_id, "--format", "akn").stdout


def test_unknown_document_and_format_are_clear_errors(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    missing = huiqi(home, "show", "nope", check=False)
    assert missing.returncode == 4 and "huiqi docs" in missing.stderr and "Traceback" not in missing.stderr
    doc_id = json.loads(huiqi(home, "docs", "--json").stdout)["id"]
    bad = huiqi(home, "export", doc_id, "--format", "pdf", check=False)
    assert bad.returncode == 2 and "json, markdown, akn" in bad.stderr


@pytest.mark.parametrize(("name", "content", "code", "words"), [
    ("empty.txt", b"", 2, "empty file"),
    ("binary.txt", bytes(range(256)) * 64, 2, "binary"),
    ("truncated.pdf", make_pdf([["Hello"]])[:150], 2, "truncated"),
    ("encrypted.pdf", make_pdf([["x"]], encrypt=True), 2, "encrypted"),
    ("no_document.txt", "今天天气很好\n我们去公园散步\n".encode(), 3, "no policy document"),
])
def test_bad_input_gets_a_message_and_exit_code_and_writes_nothing(tmp_path, name, content, code, words):
    path = tmp_path / name
    path.write_bytes(content)
    home = tmp_path / "home"
    result = huiqi(home, "ingest", str(path), check=False)
    assert result.returncode == code
    assert words in result.stderr and name in result.stderr and "Traceback" not in result.stderr
    assert huiqi(home, "docs", "--json").stdout == ""


def test_one_bad_file_among_good_ones_exits_1_and_keeps_the_good(tmp_path, notice_file):
    (tmp_path / "empty.txt").write_bytes(b"")
    home = tmp_path / "home"
    result = huiqi(home, "ingest", str(tmp_path), check=False)
    assert result.returncode == 1
    assert "✓ notice.txt" in result.stdout and "empty.txt" in result.stderr
    assert len(huiqi(home, "docs", "--json").stdout.splitlines()) == 1


def test_a_100_mb_file_is_refused_quickly_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.txt"
    line = ("第一条 为了规范管理，制定本办法。" * 4 + "\n").encode()
    with path.open("wb") as handle:
        for _ in range(100 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    # The child reports its own peak (VmHWM): getrusage's figure for a child starts from the test process's size,
    # which it had when it forked.
    report_peak = ("import atexit, runpy, sys\n"
                   "atexit.register(lambda: print(next(line for line in open('/proc/self/status')\n"
                   "                                   if line.startswith('VmHWM')), file=sys.stderr))\n"
                   "sys.argv = ['huiqi', *sys.argv[1:]]\n"
                   "runpy.run_module('huiqi', run_name='__main__')")
    env = {**os.environ, "HUIQI_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", report_peak, "ingest", str(path)], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 2 and "MB limit" in result.stderr and "HUIQI_MAX_MB" in result.stderr
    peak_mb = int(result.stderr.split("VmHWM:")[1].split()[0]) / 1024
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB"


def _leaf_commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_command_has_help_with_an_example_and_json_where_it_prints_results():
    import typer.main
    from typer.testing import CliRunner

    from huiqi.cli import app

    leaves = list(_leaf_commands(typer.main.get_command(app)))
    assert {("eval", "search"), ("bench", "search"), ("serve",)} <= set(leaves) and len(leaves) >= 13
    for leaf in leaves:
        result = CliRunner().invoke(app, [*leaf, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Example: huiqi" in result.output, leaf
        assert leaf == ("serve",) or "--json" in result.output or "--format" in result.output, leaf
    top = subprocess.run([sys.executable, "-m", "huiqi", "--help"], capture_output=True, text=True)
    assert top.returncode == 0 and all(leaf[0] in top.stdout for leaf in leaves)
