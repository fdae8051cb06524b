"""Storage through the Library: one transaction per file, same bytes are a no-op, a changed file replaces."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import pdf_lines
from huiqi import store as store_module
from huiqi.errors import NotFound

COMPILATION = """国务院办公厅关于加快构建废弃物循环利用体系的意见
国办发〔2024〕7号
各省、自治区、直辖市人民政府：
一、总体要求。加快构建废弃物循环利用体系。
国务院办公厅
2024年2月6日
国家发展改革委关于进一步完善分时电价机制的通知
发改价格〔2021〕1093号
各省、自治区、直辖市发展改革委：
一、优化峰谷电价机制。
国家发展改革委
2021年7月26日"""


def write(path, text):
    path.write_text("\n".join(pdf_lines(text)), encoding="utf-8")
    return path


def table_counts(library) -> dict:
    with sqlite3.connect(library.home / "huiqi.db") as connection:
        return {t: connection.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("sources", "documents", "provisions")}


def test_ingest_stores_documents_and_provisions(library, tmp_path):
    result = library.ingest_file(write(tmp_path / "a.txt", COMPILATION))
    assert (result.status, result.documents) == ("ingested", 2)
    assert result.provisions == table_counts(library)["provisions"] > 0
    documents = library.documents()
    assert [d.doc_number for d in documents] == ["国办发〔2024〕7号", "发改价格〔2021〕1093号"]
    loaded = library.document(documents[0].id)
    assert [p.eid for p in loaded.provisions] == ["preamble", "sec_1", "signature"]


def test_the_same_bytes_again_change_nothing(library, tmp_path):
    path = write(tmp_path / "a.txt", COMPILATION)
    library.ingest_file(path)
    before = (table_counts(library), [d.id for d in library.documents()], library.sources()[0]["ingested_at"])
    result = library.ingest_file(path)
    assert result.status == "unchanged"
    assert (table_counts(library), [d.id for d in library.documents()], library.sources()[0]["ingested_at"]) == before


def test_files_an_older_parser_read_are_parsed_again(library, tmp_path, monkeypatch):
    from huiqi import parse
    from huiqi.library import Library

    path = write(tmp_path / "a.txt", COMPILATION)
    library.ingest_file(path)
    monkeypatch.setattr(parse, "PARSER_VERSION", "next")
    assert library.ingest_file(path).status == "replaced"
    assert library.ingest_file(path).status == "unchanged"
    with sqlite3.connect(library.home / "huiqi.db") as connection:  # a library made before sources.parser
        connection.execute("alter table sources drop column parser")
    reopened = Library(library.home)
    assert reopened.ingest_file(path).status == "replaced"
    assert table_counts(reopened) == {"sources": 1, "documents": 2, "provisions": 6}


def test_a_changed_file_replaces_its_earlier_version(library, tmp_path):
    path = write(tmp_path / "a.txt", COMPILATION)
    library.ingest_file(path)
    write(path, COMPILATION.split("国家发展改革委关于")[0])
    result = library.ingest_file(path)
    assert (result.status, result.documents) == ("replaced", 1)
    assert table_counts(library)["sources"] == 1
    assert [d.doc_number for d in library.documents()] == ["国办发〔2024〕7号"]


def test_ids_are_stable_across_reingest_and_line_shifts(library, tmp_path):
    path = write(tmp_path / "a.txt", COMPILATION)
    library.ingest_file(path)
    ids = [d.id for d in library.documents()]
    write(path, "2024年惠企政策汇编\n" + COMPILATION)
    library.ingest_file(path)
    assert [d.id for d in library.documents()] == ids


def test_a_failure_while_writing_leaves_the_library_as_it_was(library, tmp_path, monkeypatch):
    path = write(tmp_path / "a.txt", COMPILATION)
    library.ingest_file(path)
    before = table_counts(library)
    write(path, COMPILATION.replace("2021年7月26日", "2021年7月27日"))

    real_insert = store_module.insert

    def failing_insert(table):
        if table is store_module.ProvisionRow:
            raise RuntimeError("disk full")
        return real_insert(table)

    monkeypatch.setattr(store_module, "insert", failing_insert)
    result = library.ingest_file(path)
    assert result.status == "failed" and "internal error" in result.error
    assert table_counts(library) == before
    assert library.documents()[1].date.isoformat() == "2021-07-26"


def test_other_files_still_ingest_when_one_cannot_be_read(library, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    write(tmp_path / "good.txt", COMPILATION)
    results = library.ingest([tmp_path])
    assert {r.file: r.status for r in results} == {"empty.txt": "failed", "good.txt": "ingested"}
    assert "empty file" in next(r.error for r in results if r.file == "empty.txt")


def test_a_file_with_no_recognisable_document_is_refused(library, tmp_path):
    path = tmp_path / "prose.txt"
    path.write_text("今天天气很好\n我们去公园散步\n晚上吃了饺子\n", encoding="utf-8")
    result = library.ingest_file(path)
    assert (result.status, result.exit_code) == ("failed", 3)
    assert "no policy document recognised" in result.error
    assert table_counts(library) == {"sources": 0, "documents": 0, "provisions": 0}


def test_remove_a_source(library, tmp_path):
    library.ingest_file(write(tmp_path / "a.txt", COMPILATION))
    assert len(library.remove("a.txt")) == 2
    assert table_counts(library) == {"sources": 0, "documents": 0, "provisions": 0}
    with pytest.raises(NotFound):
        library.remove("a.txt")


def test_home_comes_from_the_environment(tmp_path, monkeypatch):
    from huiqi.library import Library

    monkeypatch.setenv("HUIQI_HOME", str(tmp_path / "elsewhere"))
    assert Library().home == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere" / "huiqi.db").exists()


@pytest.mark.parametrize("damage", ["home is a file", "database is not one", "index is a file", "index VERSION",
                                    "dictionary"])
def test_a_damaged_library_folder_gets_a_message_or_is_repaired(tmp_path, damage):
    """Whatever is wrong with the folder, the user hears what and what to do, or the index is rebuilt from the
    store; never an internal error."""
    from huiqi.errors import HuiqiError
    from huiqi.library import Library

    home = tmp_path / "home"
    Library(home).ingest([write(tmp_path / "a.txt", COMPILATION)])
    if damage == "home is a file":
        home = tmp_path / "file"
        home.write_text("x")
    elif damage == "database is not one":
        (home / "huiqi.db").write_bytes(b"not a database" * 100)
        for extra in home.glob("huiqi.db-*"):
            extra.unlink()
    elif damage == "index is a file":
        shutil.rmtree(home / "index")
        (home / "index").write_text("x")
    elif damage == "index VERSION":
        (home / "index" / "VERSION").write_bytes(b"\xff\xfe\x00")
    else:
        (home / "index" / "grown_terms.txt").write_bytes(b"\xff\xfe\x00 terms")
    if damage in ("home is a file", "database is not one"):
        with pytest.raises(HuiqiError, match=r"library (folder|database)"):
            Library(home).search("废弃物")
    else:
        assert Library(home).search("废弃物循环利用").hits


def test_a_process_killed_between_store_and_index_leaves_the_index_to_be_rebuilt(library, tmp_path, monkeypatch):
    from huiqi.library import Library
    from huiqi.search.index import SearchIndex

    library.ingest_file(write(tmp_path / "a.txt", COMPILATION))
    monkeypatch.setattr(SearchIndex, "update", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # dies after the store committed, before the index did
        library.ingest_file(write(tmp_path / "b.txt", COMPILATION.replace("分时电价", "阶梯电价")))
    monkeypatch.undo()
    assert Library(library.home).search("阶梯电价").hits


def test_opening_a_library_in_step_does_not_rebuild_it(library, tmp_path, monkeypatch):
    from huiqi.library import Library

    library.ingest_file(write(tmp_path / "a.txt", COMPILATION))
    monkeypatch.setattr(Library, "rebuild_index", lambda self, embedding=None: pytest.fail("rebuilt"))
    assert Library(library.home).search("峰谷电价").hits


def test_a_database_replaced_under_its_index_is_noticed_and_the_index_rebuilt(tmp_path):
    """huiqi.db restored from a backup, or copied from another library: the index must not answer with the old
    library's provisions (hits `show` cannot find), nor miss the new one's."""
    from huiqi.library import Library

    first, second = Library(tmp_path / "first"), Library(tmp_path / "second")
    first.ingest([write(tmp_path / "a.txt", COMPILATION)])
    second.ingest([write(tmp_path / "b.txt", COMPILATION.replace("分时电价", "阶梯电价"))])
    for library in (first, second):
        library.store.engine.dispose()
    shutil.copy(second.home / "huiqi.db", first.home / "huiqi.db")
    reopened = Library(first.home)
    hits = reopened.search("电价").hits
    assert {hit.source for hit in hits} == {"b.txt"}
    assert all(reopened.document(hit.doc_id) for hit in hits)


def test_the_package_names_its_modules_and_classes_without_importing_them_first():
    script = ("import huiqi, sys; assert 'huiqi.library' not in sys.modules; "
              "print(huiqi.errors.HuiqiError.__name__, huiqi.Library.__name__, hasattr(huiqi, 'nothing'))")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["HuiqiError", "Library", "False"]


def test_two_files_of_one_name_in_one_command_do_not_replace_each_other(library, tmp_path):
    docs = tmp_path / "docs"
    for folder, text in (("a", COMPILATION), ("b", COMPILATION.replace("2024", "2023"))):
        (docs / folder).mkdir(parents=True)
        write(docs / folder / "policy.txt", text)
    first, second = library.ingest([docs / "a", docs / "b"])
    assert first.status == "ingested" and second.status == "failed" and second.exit_code == 2
    assert "also in this command" in second.error and "ingest the folder that holds both" in second.error
    # a/policy.txt is stored already, as policy.txt; b/policy.txt was refused
    assert [r.status for r in library.ingest([docs])] == ["duplicate", "ingested"]


def test_the_same_bytes_under_a_second_name_are_not_stored_twice(library, tmp_path):
    # As in ../shared/laws, where a law filed under two categories is two identical files
    for category in ("社会法", "经济法"):
        (tmp_path / "laws" / category).mkdir(parents=True)
        write(tmp_path / "laws" / category / "policy.txt", COMPILATION)
    first, second = library.ingest([tmp_path / "laws"])
    assert (first.status, second.status) == ("ingested", "duplicate")
    assert "the same bytes as 社会法/policy.txt" in second.notes[0]
    assert table_counts(library)["documents"] == 2
    assert [s["name"] for s in library.sources()] == ["社会法/policy.txt"]
    library.remove("社会法/policy.txt")  # gone from under the first name, it can be ingested under the second
    assert library.ingest([tmp_path / "laws" / "经济法"])[0].status == "ingested"


def test_a_refused_second_file_of_a_name_holds_no_bytes_for_another_name(library, tmp_path):
    """Of two files of one name in a command, the second is refused, even when the first cannot be read: so a third
    holding the second's bytes is no copy of anything the library keeps."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "policy.txt").write_bytes(b"")
    write(tmp_path / "b" / "policy.txt", COMPILATION)
    write(tmp_path / "c.txt", COMPILATION)
    results = library.ingest([tmp_path / "a" / "policy.txt", tmp_path / "b" / "policy.txt", tmp_path / "c.txt"])
    assert [r.status for r in results] == ["failed", "failed", "ingested"]
    assert [s["name"] for s in library.sources()] == ["c.txt"]


def test_a_file_name_that_is_not_utf8_or_holds_a_newline_is_kept_as_one_line_of_text(library, tmp_path):
    folder = tmp_path / "zip"
    folder.mkdir()
    gbk_name = "关于废弃物循环利用的意见.txt".encode("gbk")  # as an archive made on Chinese Windows leaves it
    write(folder / gbk_name.decode("utf-8", "surrogateescape"), COMPILATION)
    write(folder / "two\nlines.txt", COMPILATION.replace("2024", "2023"))
    results = library.ingest([folder])
    assert {r.file: r.status for r in results} == {"关于废弃物循环利用的意见.txt": "ingested",
                                                   "two lines.txt": "ingested"}
    assert sorted(s["name"] for s in library.sources()) == ["two lines.txt", "关于废弃物循环利用的意见.txt"]
    assert len(library.remove("two lines.txt")) == 2


def test_a_file_changed_into_a_copy_of_another_leaves_the_library_and_is_a_duplicate(library, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder / "a.txt", COMPILATION)
    write(folder / "b.txt", COMPILATION.replace("2024", "2023"))
    library.ingest([folder])
    (folder / "a.txt").write_bytes((folder / "b.txt").read_bytes())
    changed, unchanged = library.ingest([folder])
    assert (changed.status, unchanged.status) == ("duplicate", "unchanged")
    assert "the same bytes as b.txt" in changed.notes[0] and "the 2 documents it held before are removed" in changed.notes[0]
    assert [s["name"] for s in library.sources()] == ["b.txt"] and table_counts(library)["documents"] == 2
    assert {hit.source for hit in library.search("废弃物循环利用").hits} == {"b.txt"}


def test_two_names_that_read_alike_in_one_folder_are_refused_with_a_message_that_is_text(library, tmp_path):
    folder = tmp_path / "zip"
    folder.mkdir()
    write(folder / "政策.txt", COMPILATION)
    write(folder / "政策.txt".encode("gbk").decode("utf-8", "surrogateescape"), COMPILATION.replace("2024", "2023"))
    results = library.ingest([folder])
    refused = next(result for result in results if result.status == "failed")
    assert "has the same name '政策.txt'" in refused.error and "rename one" in refused.error
    refused.error.encode("utf-8")  # no lone surrogate left of the GBK name


def test_which_copy_is_a_duplicate_does_not_depend_on_what_the_library_held_before(library, tmp_path):
    """A file is a copy of one before it in the command, or of a source stored that is not in the command: a
    source in it may be about to change."""
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder / "b.txt", COMPILATION)
    library.ingest([folder])
    (folder / "a.txt").write_bytes((folder / "b.txt").read_bytes())  # a copy of b, and b changes
    write(folder / "b.txt", COMPILATION.replace("2024", "2023"))
    assert [(r.file, r.status) for r in library.ingest([folder])] == [("a.txt", "ingested"), ("b.txt", "replaced")]
    (folder / "c.txt").write_bytes((folder / "a.txt").read_bytes())  # unchanged a, before its copy c
    assert [(r.file, r.status) for r in library.ingest([folder])] == [
        ("a.txt", "unchanged"), ("b.txt", "unchanged"), ("c.txt", "duplicate")]
    assert [s["name"] for s in library.sources()] == ["a.txt", "b.txt"]
