"""Versions of one text, and repeals: a later text ends an earlier one, in the store, the search filters and the
API."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from huiqi import Library
from huiqi.errors import UnreadableFile
from huiqi.repeals import repeals
from huiqi.search import Filters
from huiqi.store import Store
from huiqi.versions import Edition, Link, Repeal, key, links, repeal_links, text_key


def edition(doc_id: str, start: date | None, title: str = "中华人民共和国公司法", region: str | None = "100000",
            issuers: tuple[str, ...] = ("全国人民代表大会常务委员会",)) -> Edition:
    return Edition(doc_id, title, region, issuers, start)


def test_the_next_version_to_take_effect_ends_each_earlier_one():
    found = links([edition("2023", date(2024, 7, 1)), edition("2005", date(2006, 1, 1)),
                   edition("2018", date(2018, 10, 26))])
    assert found == {"2005": Link("2018", date(2018, 10, 26)), "2018": Link("2023", date(2024, 7, 1))}


def test_what_is_no_later_version_ends_nothing():
    assert links([edition("a", date(2024, 7, 1)), edition("b", date(2024, 7, 1))]) == {}  # one text in two files
    assert links([edition("a", date(2020, 1, 1)), edition("b", date(2024, 1, 1), region="320000")]) == {}
    assert links([edition("a", date(2020, 1, 1), region=None), edition("b", date(2024, 1, 1), region=None)]) == {}
    assert links([edition("a", None), edition("b", date(2024, 1, 1))]) == {}  # cannot be ordered
    assert links([edition("a", date(2020, 1, 1), issuers=("江苏省人民政府",)),
                  edition("b", date(2024, 1, 1), issuers=("江苏省安全生产委员会",))]) == {}  # two organs' namesakes


def test_one_organ_however_named_and_a_trial_version_are_versions():
    assert links([edition("a", date(2020, 1, 1), issuers=("国务院",)),
                  edition("b", date(2024, 1, 1), issuers=("中华人民共和国国务院",))]) == {"a": Link("b", date(2024, 1, 1))}
    assert key("人民检察院刑事诉讼规则（试行）") == key("人民检察院刑事诉讼规则") == key("人民检察院刑事诉讼规则 (2019年修订)")
    assert key("某某暂行条例") != key("某某条例")  # a 暂行 in the name is part of it
    assert key("苏州市人民政府关于印发《苏州市企业研发费用补助管理办法（试行）》的通知") == key(
        "苏州市人民政府关于印发《苏州市企业研发费用补助管理办法》的通知")  # the note inside an 印发 notice's quote
    assert key("产业结构调整指导目录（2019年本）") == key("产业结构调整指导目录（2024年本）")
    assert key("某某办法（试行）（2021年修订）") == key("某某办法(2023修订)") == key("某某办法")


def law(revised: str, effective: str) -> str:
    return f"""# 中华人民共和国某某法

1993年12月29日 第八届全国人民代表大会常务委员会第五次会议通过

{revised} 第十三届全国人民代表大会常务委员会第六次会议《关于修改〈中华人民共和国某某法〉的决定》修正

<!-- INFO END -->

第一条 为了规范某某企业的设立，制定本法。

第二条 本法自{effective}起施行。
"""


def in_force(library: Library, day: str) -> list[str]:
    hits = library.search("某某企业 设立", k=10, filters=Filters(in_force=day)).hits
    return sorted({hit.source for hit in hits})


def test_a_later_version_ends_the_earlier_in_search_whichever_came_first(tmp_path):
    files = {"某某法(2018).md": law("2018年10月26日", "2018年10月26日"),
             "某某法(2023).md": law("2023年12月29日", "2024年7月1日"),
             "某某法(2020).md": law("2020年6月1日", "2020年6月1日")}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for order in (["某某法(2018).md", "某某法(2023).md", "某某法(2020).md"],
                  ["某某法(2023).md", "某某法(2020).md", "某某法(2018).md"]):
        library = Library(tmp_path / f"home-{order[0]}")
        for name in order:  # one at a time: each is indexed as it comes
            assert library.ingest_file(tmp_path / name).status == "ingested"
        assert in_force(library, "2019-01-01") == ["某某法(2018).md"]
        assert in_force(library, "2024-06-30") == ["某某法(2020).md"]
        assert in_force(library, "2024-07-01") == ["某某法(2023).md"]
        unfiltered = library.search("某某企业 设立").hits
        assert len({hit.source for hit in unfiltered}) == 3  # every version is found, the one in force first
        assert unfiltered[0].source == "某某法(2023).md"
        by_name = {document.source: document for document in library.documents()}
        assert (by_name["某某法(2018).md"].superseded_by, by_name["某某法(2018).md"].superseded_on) == (
            by_name["某某法(2020).md"].id, date(2020, 6, 1))
        assert by_name["某某法(2023).md"].summary()["superseded_by"] is None

    library.remove("某某法(2020).md")  # the 2018 text is in force again until 2023's takes effect
    assert in_force(library, "2024-06-30") == ["某某法(2018).md"]
    assert library.document(library.documents()[0].id).superseded_on == date(2024, 7, 1)


def test_a_library_from_before_versions_were_linked_is_linked_when_opened(tmp_path):
    for name, revised, effective in (("a.md", "2018年10月26日", "2018年10月26日"), ("b.md", "2023年12月29日", "2024年7月1日")):
        (tmp_path / name).write_text(law(revised, effective), encoding="utf-8")
    library = Library(tmp_path / "home")
    library.ingest([tmp_path / "a.md", tmp_path / "b.md"])
    with sqlite3.connect(tmp_path / "home" / "huiqi.db") as connection:
        connection.execute("DROP INDEX ix_documents_version_key")
        for column in ("version_key", "superseded_by", "superseded_on"):
            connection.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    reopened = Library(tmp_path / "home")
    assert [document.superseded_on for document in reopened.documents()] == [date(2024, 7, 1), None]


def test_a_read_only_library_from_before_versions_were_linked_says_how_to_upgrade_it(tmp_path):
    (tmp_path / "a.md").write_text(law("2018年10月26日", "2018年10月26日"), encoding="utf-8")
    Library(tmp_path / "home").ingest_file(tmp_path / "a.md")
    database = tmp_path / "home" / "huiqi.db"
    with sqlite3.connect(database) as connection:
        connection.execute("ALTER TABLE documents DROP COLUMN superseded_by")
    with pytest.raises(UnreadableFile, match="made by an earlier huiqi") as raised:
        Store(f"sqlite:///{database}", read_only=True)
    assert str(database) in str(raised.value)


def test_a_version_is_ranked_as_of_the_day_the_search_asks_about():
    from huiqi.search.index import day_asked

    assert day_asked(Filters(in_force="2019-01-01", date_to="2024-12-31")) == date(2019, 1, 1)
    assert day_asked(Filters(date_to="2020-12-31")) == date(2020, 12, 31)  # a successor after it is filtered out
    assert day_asked(Filters()) == date.today()


def test_the_genre_law_finds_codes_and_amendments_too(tmp_path):
    library = Library(tmp_path / "home")
    for name, title in (("a.md", "中华人民共和国某某法"), ("b.md", "中华人民共和国民法典"),
                        ("c.md", "中华人民共和国刑法修正案（十二）"), ("d.md", "某某企业登记条例")):
        (tmp_path / name).write_text(law("2018年10月26日", "2018年10月26日").replace("中华人民共和国某某法", title),
                                     encoding="utf-8")
    library.ingest([tmp_path / name for name in ("a.md", "b.md", "c.md", "d.md")])
    found = {hit.source for hit in library.search("某某企业 设立", filters=Filters(genre="法律")).hits}
    assert found == {"a.md", "b.md", "c.md"}


def test_the_texts_a_document_repeals_are_read_from_its_closing_clauses():
    assert repeals(["本法自2026年1月1日起施行。1993年12月13日国务院发布的《中华人民共和国增值税暂行条例》同时废止。"]) == [
        Repeal("增值税暂行条例")]
    assert repeals(["原《苏州市企业研发费用补助办法》（苏府规字〔2019〕3 号）、《苏州市人才办法》和《苏州市某某规定》同时废止。"]) == [
        Repeal("苏州市企业研发费用补助办法", "苏府规字〔2019〕3号"), Repeal("苏州市人才办法"), Repeal("苏州市某某规定")]
    assert repeals(["经研究，决定废止原国家安全监管总局印发的《关于在高危行业推进安全生产责任保险的指导意见》（安监总办〔2009〕140号）。"]
                   ) == [Repeal("关于在高危行业推进安全生产责任保险的指导意见", "安监总办〔2009〕140号")]
    assert repeals(["《自然资源部关于某某工作的通知》(自然资发〔2022〕129号)自本文印发之日起不再执行。",
                    "原《某某补贴办法》停止执行。"]) == [Repeal("自然资源部关于某某工作的通知", "自然资发〔2022〕129号"),
                                                      Repeal("某某补贴办法")]
    # a notice is named by the text it issues, as the library files it either way
    assert repeals(["《财政部关于印发〈某某资金管理办法〉的通知》同时废止。"]) == [Repeal("某某资金管理办法")]
    assert text_key("苏州市人民政府关于印发《苏州市某某办法（试行）》的通知") == text_key("苏州市某某办法") == "苏州市某某办法"
    # a list may name when and by whom each was issued, and a 文号 may hold brackets of its own
    assert repeals(["《中华人民共和国某甲税法》和1993年12月13日国务院发布的《中华人民共和国某乙暂行条例》同时废止。",
                    "根据《中华人民共和国立法法》，《某丙办法》(苏府规（2019）3号)即行废止。"]) == [
        Repeal("某甲税法"), Repeal("某乙暂行条例"), Repeal("某丙办法", "苏府规〔2019〕3号")]
    # part of a text is no repeal of it; nor is a title that merely follows the word, nor one naming no one text
    assert repeals(["《某某办法》中关于总会计师的规定同时废止。", "《某某条例》第三条同时废止。", "决定废止《甲办法》第三条。",
                    "《丙办法》第五条自2024年1月1日起不再执行。", "决定废止《甲办法》（苏府规〔2019〕3号）第三条。",
                    "决定废止《甲办法》和《乙办法》中的第三条。", "不得随意废止《甲办法》确定的补助标准。",
                    "有关部门废止《甲办法》的，应当及时公告。", "本办法的制定、修改和废止《立法法》另有规定的，从其规定。",
                    "《实施细则》同时废止。", "《甲办法》废止后，按照本办法执行。",
                    "本规定施行后，以前的规定同时废止。《乙规定》与本规定不一致的，以本规定为准。"]) == []
    # titles a repeal names are compared without their punctuation and quotation marks
    assert text_key("最高人民法院关于审理偷税、抗税刑事案件具体应用法律若干问题的解释") == text_key(
        "最高人民法院关于审理偷税抗税刑事案件具体应用法律若干问题的解释")
    assert text_key("最高人民法院关于适用〈中华人民共和国行政诉讼法〉若干问题的解释") == text_key(
        "最高人民法院关于适用《中华人民共和国行政诉讼法》若干问题的解释")
    assert text_key("财政部关于印发‹某某资金管理办法>的通知") == text_key("某某资金管理办法")


@pytest.mark.parametrize(("text", "titles"), [
    ("根据《立法法》和《甲条例》，《乙办法》即行废止。", ["乙办法"]),  # texts cited as a ground
    ("根据国务院发布的《甲条例》，《乙办法》同时废止。", ["乙办法"]),
    ("为贯彻落实《甲条例》，经市政府研究，《乙办法》同时废止。", ["乙办法"]),
    ("《甲办法》与本办法不一致的，以本办法为准，《乙办法》同时废止。", ["乙办法"]),
    ("决定废止《甲办法》和修改《乙办法》。", []),  # all of a decided list, or none
    ("鉴于《甲条例》废止，本办法相应修改。", []),  # a repeal spoken of
    ("制定机关应当对《甲办法》予以废止，", []),
    ("《乙办法》规定：“《甲办法》同时废止。”", []),  # quoted
    ("将第三十条修改为：“本办法自2020年起施行，《甲条例》同时废止。”", []),
    ("《甲办法》（第三条）同时废止。", []),  # part of it
    ("决定废止《甲办法》（第五条至第八条）。", []),
    ("《甲办法》《乙办法》同时废止。", ["甲办法", "乙办法"]),  # GB/T 15834 lists titles without a comma
    ("决定废止《甲办法》《乙办法》。", ["甲办法", "乙办法"]),
    ("1960年2月11日国务院批准、交通部发布的《机动车管理办法》，1988年3月9日国务院发布的《中华人民共和国道路交通管理条例》，"
     "同时废止。", ["机动车管理办法", "道路交通管理条例"]),  # 道路交通安全法实施条例
    ("《苏州市乙办法》（苏府〔2020〕4号）等文件同时废止。", ["苏州市乙办法"]),
    ("《甲办法》（苏府〔2020〕4号），自2024年1月1日起废止。", ["甲办法"]),
    ("《甲办法》及其实施细则同时废止。", ["甲办法"]),
    ("国务院决定废止下列行政法规：一、《甲条例》（1987年4月21日国务院发布）；二、《乙条例》（1990年发布）。",
     ["甲条例", "乙条例"]),
])
def test_what_a_repeal_clause_names(text, titles):
    assert [repeal.title_key for repeal in repeals([text])] == titles


def test_a_title_whose_issuers_stand_before_its_quotes_is_named_with_them():
    assert repeals(["最高人民法院、最高人民检察院《关于办理某某刑事案件适用法律若干问题的解释》同时废止。",
                    "1993年发布的《关于某某工作的通知》同时废止。"]) == [
        Repeal("最高人民法院最高人民检察院关于办理某某刑事案件适用法律若干问题的解释"), Repeal("关于某某工作的通知")]
    assert text_key("最高人民法院、最高人民检察院关于办理某某刑事案件适用法律若干问题的解释") == repeals(
        ["最高人民法院、最高人民检察院《关于办理某某刑事案件适用法律若干问题的解释》同时废止。"])[0].title_key


def test_a_decision_may_list_what_it_repeals_in_the_provisions_after_it():
    assert repeals(["国务院决定废止下列行政法规：", "《甲条例》（1987年4月21日国务院发布）；", "《乙条例》（1990年发布）。",
                    "本决定自公布之日起施行。《丙条例》的规定不变。"]) == [Repeal("甲条例"), Repeal("乙条例")]


def test_a_long_list_of_titles_is_read_in_linear_time():
    import signal

    def too_slow(*_):
        raise TimeoutError("reading repeals took exponential time")

    listed = "引用文件：\n" + "\n".join(f"《某某第{n}技术规范》" for n in range(60)) + "\n"
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(30)  # a hang guard, not a timing: the list is read in milliseconds, exponentially in hours
    try:
        assert repeals([listed + "本导则自发布之日起实施。", listed.replace("\n", "  ") + "制定。"]) == []
        assert len(repeals([listed.replace("\n", "、").rstrip("、") + "同时废止。"])) == 60
        # many clauses in one sentence, and long runs of spaces the cleaner leaves: quadratic once
        assert len(repeals(["，".join(f"《苏州市第{n}号某某管理办法》予以废止" for n in range(4000))])) == 4000
        assert repeals(["\u200a" * 80_000 + "同时废止", "决定废止《甲办法》第三条，" * 8000, "《" * 80_000,
                        "决定废止某某" * 16_000 + "《甲办法》第三条", "《甲办法》" + "某" * 80_000 + "同时废止，" * 16_000]) == []
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def repealing(doc_id: str, start: date, *found: Repeal, title: str = "中华人民共和国某某税法",
              region: str = "100000") -> list[tuple[Edition, Repeal]]:
    return [(Edition(doc_id, title, region, (), start), repeal) for repeal in found]


def test_a_repeal_ends_an_earlier_text_of_that_title_from_the_same_place():
    old = Edition("old", "中华人民共和国某某暂行条例", "100000", ("国务院",), date(2011, 1, 8), "国务院令第588号")
    law = repealing("law", date(2026, 1, 1), Repeal("某某暂行条例"))
    assert repeal_links([old], law) == {"old": Link("law", date(2026, 1, 1))}
    earlier = repealing("earlier", date(2025, 1, 1), Repeal("某某暂行条例"), title="某某实施条例")
    assert repeal_links([old], law + earlier) == {"old": Link("earlier", date(2025, 1, 1))}  # the first to take effect
    assert repeal_links([old], repealing("law", date(2010, 1, 1), Repeal("某某暂行条例"))) == {}  # an older namesake
    assert repeal_links([old], repealing("law", date(2026, 1, 1), Repeal("某某暂行条例"), region="320000")) == {}
    notice = Edition("n", "苏州市人民政府关于印发《苏州市某某办法》的通知", "320500", (), date(2019, 3, 1), "苏府规字〔2019〕3号")
    assert repeal_links([notice], repealing("new", date(2024, 1, 1), Repeal("苏州市某某办法", "苏府规字〔2019〕3号"),
                                            title="苏州市某某新办法", region="320500")) == {"n": Link("new", date(2024, 1, 1))}
    assert repeal_links([notice], repealing("new", date(2024, 1, 1), Repeal("苏州市某某办法", "苏府规字〔2020〕9号"),
                                            title="苏州市某某新办法", region="320500")) == {}  # another 文号
    announced = Edition("a", "关于某某政策的公告", "100000", (), date(2022, 3, 1), "财政部 税务总局公告2022年第28号")
    for number, linked in (("财政部税务总局公告2022年第28号", True), ("财政部 税务总局公告2022年第29号", False)):
        found = repeal_links([announced], repealing("new", date(2024, 1, 1), Repeal("关于某某政策的公告", number),
                                                    title="关于新政策的公告"))
        assert bool(found) == linked  # 公告 and 令 numbers are compared too, however spaced
    assert repeals(["《关于某某政策的公告》（财政部 税务总局公告2022年第28号）同时废止。"]) == [
        Repeal("关于某某政策的公告", "财政部税务总局公告〔2022〕28号")]
    # a text that names its own title speaks of its first version: ending earlier versions is `links`' work
    union_1992 = Edition("1992", "中华人民共和国工会法", "100000", (), date(1992, 4, 3))
    assert repeal_links([union_1992], repealing("2021", date(2021, 12, 24), Repeal("工会法"), title="中华人民共和国工会法")) == {}


def regulation(title: str, event: str, closing: str) -> str:
    return f"""# {title}

{event}

<!-- INFO END -->

第一条 某某货物的纳税人应当依照本规定缴纳某某税。

第二条 {closing}
"""


REPEALED = regulation("中华人民共和国某某暂行条例", "2011年1月8日 中华人民共和国国务院令第588号公布", "本条例自2011年1月8日起施行。")
REPEALING = regulation("中华人民共和国某某税法", "2024年12月25日 第十四届全国人民代表大会常务委员会第十三次会议通过",
                       "本法自2026年1月1日起施行。《中华人民共和国某某暂行条例》同时废止。")


@pytest.mark.parametrize("order", [("old.md", "law.md"), ("law.md", "old.md")])
def test_a_repealed_text_is_out_of_force_from_the_day_its_repeal_takes_effect(tmp_path, order):
    (tmp_path / "old.md").write_text(REPEALED, encoding="utf-8")
    (tmp_path / "law.md").write_text(REPEALING, encoding="utf-8")
    library = Library(tmp_path / "home")
    for name in order:
        assert library.ingest_file(tmp_path / name).status == "ingested"

    def found(day: str) -> list[str]:
        return sorted({hit.source for hit in library.search("某某货物 纳税人", filters=Filters(in_force=day)).hits})

    assert found("2025-12-31") == ["old.md"]
    assert found("2026-01-01") == ["law.md"]
    summary = {document.source: document.summary() for document in library.documents()}
    assert (summary["old.md"]["repealed_by"], summary["old.md"]["repealed_on"]) == (summary["law.md"]["id"], "2026-01-01")
    assert summary["old.md"]["superseded_by"] is None and summary["law.md"]["repealed_by"] is None

    from typer.testing import CliRunner

    from huiqi.cli import app

    listing = CliRunner().invoke(app, ["docs", "--home", str(tmp_path / "home")], env={"COLUMNS": "200"}).stdout
    assert "中华人民共和国某某暂行条例  （2026-01-01 起废止）" in listing
    # a hit says when its document ceased to be in force, and what replaced it
    hits = {hit.source: hit.to_dict() for hit in library.search("某某货物 纳税人").hits}
    assert (hits["old.md"]["replaced_by"], hits["old.md"]["replaced_on"]) == (summary["law.md"]["id"], "2026-01-01")
    assert "replaced_on" not in hits["law.md"]
    found_now = CliRunner().invoke(app, ["search", "某某货物", "--home", str(tmp_path / "home")], env={"COLUMNS": "200"})
    assert "第一条  （2026-01-01 起失效）" in found_now.stdout

    library.remove("law.md")  # the 暂行条例 is in force again
    assert found("2026-06-01") == ["old.md"]
    assert library.documents()[0].repealed_on is None


DECIDING = regulation("中华人民共和国某某税法", "2024年12月25日 第十四届全国人民代表大会常务委员会第十三次会议通过",
                      "本法自2026年1月1日起施行，下列行政法规同时废止：\n\n（一）《中华人民共和国某某暂行条例》；\n\n"
                      "（二）《中华人民共和国另一暂行条例》。")


@pytest.mark.parametrize("repealing", [REPEALING, DECIDING])  # the latter's items, provisions of their own, say no 废止
def test_a_library_from_before_repeals_were_linked_is_linked_when_opened(tmp_path, repealing):
    (tmp_path / "old.md").write_text(REPEALED, encoding="utf-8")
    (tmp_path / "law.md").write_text(repealing, encoding="utf-8")
    Library(tmp_path / "home").ingest([tmp_path / "old.md", tmp_path / "law.md"])
    with sqlite3.connect(tmp_path / "home" / "huiqi.db") as connection:
        connection.execute("DROP INDEX ix_documents_text_key")
        connection.execute("DROP TABLE repeals")
        for column in ("text_key", "repealed_by", "repealed_on"):
            connection.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    reopened = Library(tmp_path / "home")
    assert {d.source: d.repealed_on for d in reopened.documents()} == {"old.md": date(2026, 1, 1), "law.md": None}
