"""Metadata read off each document's layout: 标题, 文号, 发文机关, 成文日期, genre, level/region, validity."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import one_document
from huiqi.metadata import genre_of


def notice(title: str, number: str = "", body: str = "一、总体要求。做好相关工作。", signature: str = "国务院办公厅",
           day: str = "2024 年 2 月 6 日") -> str:
    return "\n".join(x for x in (title, number, "各省、自治区、直辖市人民政府：", body, signature, day) if x)


@pytest.mark.parametrize(("printed", "expected"), [
    ("国办发〔2024〕7 号", "国办发〔2024〕7号"),
    ("自然资发[2023]166 号", "自然资发〔2023〕166号"),
    ("浙经信（2024）33号", "浙经信〔2024〕33号"),
    ("自然资发 〔2023〕69 号", "自然资发〔2023〕69号"),
    ("（苏政办发〔2024〕10号）", "苏政办发〔2024〕10号"),
    ("漯商〔２０２４〕８号", "漯商〔2024〕8号"),
    ("财政部 税务总局公告2023年第7号", "财政部税务总局公告2023年第7号"),
    ("2021 年第 41 号", "2021年第41号"),
])
def test_doc_number_variants_are_normalised(printed, expected):
    document = one_document(notice("国务院办公厅关于加快构建废弃物循环利用体系的意见", printed))
    assert document.doc_number == expected


def test_a_doc_number_cited_in_the_text_is_not_the_documents_own():
    document = one_document(notice("国务院办公厅关于加快构建废弃物循环利用体系的意见",
                                   body="一、按照《国务院关于印发XX的通知》（国发〔2021〕4号）要求做好工作。"))
    assert document.doc_number is None


def test_issuers_come_from_the_signature_block_one_per_organ():
    document = one_document(notice("国家发展改革委等部门关于实施促进民营经济发展近期若干举措的通知",
                                   signature="国家发展改革委\n工业和信息化部 财政部\n生 态 环 境 部"))
    assert document.issuers == ["国家发展改革委", "工业和信息化部", "财政部", "生态环境部"]
    assert document.title == "国家发展改革委等部门关于实施促进民营经济发展近期若干举措的通知"


def test_issuers_fall_back_to_the_title_prefix_and_split_run_together_names():
    text = """国家发展改革委国家统计局国家能源局关于加强绿色电力证书与节能降碳政策衔接的通知
发改环资〔2024〕113号
各省、自治区、直辖市发展改革委：
一、总体要求。做好衔接工作。"""
    document = one_document(text)
    assert document.issuers == ["国家发展改革委", "国家统计局", "国家能源局"]
    assert document.date is None
    assert "no 成文日期 found" in document.warnings


def test_lead_issuer_only_is_flagged():
    document = one_document("""商务部等9部门关于健全废旧家电家具等再生资源回收体系的通知
各省、自治区、直辖市人民政府：
一、总体要求。做好回收工作。""")
    assert document.issuers == ["商务部"]
    assert any("lead issuer" in w for w in document.warnings)


def test_order_issuer_number_and_date():
    document = one_document("""中华人民共和国国务院令
第 744 号
《建设工程抗震管理条例》已经国务院常务会议通过，现予公布。
总理 李克强
2021 年 7 月 19 日
建设工程抗震管理条例
第一章 总 则
第一条 为了提高建设工程抗震防灾能力，制定本条例。""")
    assert (document.issuers, document.doc_number, document.date) == (["国务院"], "国务院令第744号", date(2021, 7, 19))
    assert document.genre == "条例"


def test_regulation_with_its_order_in_a_bracketed_line_under_the_title():
    document = one_document("""社会组织名称管理办法
(中华人民共和国民政部令第69号已经2024年1月4日民政部部务会议通过，1月8日公布，自2024年5月1日起施行)
第一条 为了规范社会组织名称管理，制定本办法。
第二条 本办法自2024年5月1日起施行。""")
    assert document.doc_number == "民政部令第69号"
    assert document.issuers == ["民政部"]
    assert document.date == date(2024, 1, 8)  # the day it was issued (公布), not the day it was adopted
    assert document.effective_from == date(2024, 5, 1)


def test_date_under_the_title_when_there_is_no_signature():
    document = one_document("""中共中央 国务院关于促进民营经济发展壮大的意见
（2023 年 7 月 14 日）
民营经济是推进中国式现代化的生力军。
一、总体要求。坚持“两个毫不动摇”。""")
    assert document.date == date(2023, 7, 14)
    assert document.issuers == ["中共中央", "国务院"]


def test_signature_date_in_chinese_numerals():
    document = one_document(notice("漯河市人民政府办公室关于实施“沙澧英才”计划的若干意见",
                                   signature="漯河市人民政府办公室", day="二〇二四年五月十日"))
    assert document.date == date(2024, 5, 10)


@pytest.mark.parametrize(("title", "genre"), [
    ("国务院办公厅关于发展银发经济增进老年人福祉的意见", "意见"),
    ("工业和信息化部等七部门关于推动未来产业创新发展的实施意见", "意见"),
    ("省政府办公厅关于印发加快打造“水运江苏”三年行动计划（2024—2026年）的通知", "通知"),
    ("温室气体自愿减排交易管理办法（试行）", "办法"),
    ("建设工程抗震管理条例", "条例"),
    ("我国支持科技创新主要税费优惠政策指引", "指引"),
    ("中华人民共和国中小企业促进法", "法"),
])
def test_genre_is_the_titles_last_word(title, genre):
    assert genre_of(title) == genre


@pytest.mark.parametrize(("signature", "region", "code", "level"), [
    ("国务院办公厅", "全国", "100000", "national"),
    ("江苏省财政厅\n江苏省市场监督管理局", "江苏省", "320000", "provincial"),
    ("漯河市人民政府", "漯河市", "411100", "municipal"),
    ("舞阳县人民政府", "舞阳县", "411121", "county"),
    ("中共江苏省委\n江苏省人民政府", "江苏省", "320000", "provincial"),
])
def test_level_and_region_follow_the_lead_issuer(signature, region, code, level):
    document = one_document(notice("关于做好2024年度稳岗工作的通知", signature=signature))
    assert (document.region, document.region_code, document.level) == (region, code, level)


@pytest.mark.parametrize(("body", "title", "start", "end"), [
    ("一、本办法自2024年7月1日起施行，有效期至2026年12月31日。", "关于印发XX办法的通知", date(2024, 7, 1),
     date(2026, 12, 31)),
    ("一、本通知自印发之日起施行。", "关于做好稳岗工作的通知", date(2024, 2, 6), None),
    ("一、本公告执行期限延长至2027年12月31日。", "关于延续实施残疾人就业保障金优惠政策的公告", None, date(2027, 12, 31)),
    ("一、本办法自2024年5月1日起施行，有效期3年。", "关于印发XX办法的通知", date(2024, 5, 1), date(2027, 4, 30)),
    ("一、本政策措施有效期为3年，自2024年5月1日起施行。", "关于印发XX措施的通知", date(2024, 5, 1), date(2027, 4, 30)),
    # A term the policy sets for what it grants is not the policy's own
    ("一、本办法自2024年5月1日起施行。认定有效期为3年。", "关于印发XX认定办法的通知", date(2024, 5, 1), None),
    ("一、自2024年5月1日起施行。安全生产许可证的有效期为3年。", "关于印发XX办法的通知", date(2024, 5, 1), None),
    ("一、加快建设。", "关于印发加快打造“水运江苏”三年行动计划（2024—2026年）的通知", date(2024, 1, 1),
     date(2026, 12, 31)),
])
def test_effective_dates(body, title, start, end):
    document = one_document(notice(title, body=body))
    assert (document.effective_from, document.effective_to) == (start, end)


def test_attachment_titles_from_the_attachment_note_and_the_printed_attachment():
    document = one_document("""关于开展2024年度科技创新券申领兑付工作的通知
各县区科技主管部门：
一、做好申领工作。
附件：1. 漯河市科技创新券申领表
2. 漯河市科技创新服务机构备案表（略）
漯河市科学技术局
2024 年 4 月 22 日""")
    assert document.attachments == ["漯河市科技创新券申领表", "漯河市科技创新服务机构备案表"]


def test_bare_province_organs_take_the_region_of_the_compilation(tmp_path):
    from conftest import documents_of

    documents = documents_of(notice("江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知", signature="江苏省财政厅")
                             + "\n" + notice("省工信厅 省财政厅关于加快推进技术创新示范企业建设的实施意见",
                                             signature="省工信厅\n省财政厅", day="2024年3月1日"))
    assert [d.region for d in documents] == ["江苏省", "江苏省"]
    assert any("region taken from the compilation" in w for w in documents[1].warnings)


@pytest.mark.parametrize(("signature", "region", "level"), [
    ("国家税务总局漯河市税务局", "漯河市", "municipal"),  # a local branch of a central organ is local
    ("江苏省苏州市吴中区人民政府", "吴中区", "county"),  # the most specific place in the name
    ("共青团江苏省委", "江苏省", "provincial"),
])
def test_region_reads_the_place_inside_an_organ_name(signature, region, level):
    document = one_document(notice("关于做好2024年度稳岗工作的通知", signature=signature))
    assert (document.region, document.level) == (region, level)


def test_a_bare_province_organ_in_a_city_compilation_is_the_province():
    from conftest import documents_of

    documents = documents_of(notice("漯河市人民政府关于支持个体工商户的通知", signature="漯河市人民政府")
                             + "\n" + notice("省财政厅关于做好贴息工作的通知", signature="省财政厅", day="2024年3月1日"))
    assert [(d.region, d.level) for d in documents] == [("漯河市", "municipal"), ("河南省", "provincial")]


def test_a_cited_policys_start_date_is_not_this_documents():
    document = one_document(notice("关于延续实施小微企业增值税优惠政策的公告", body=(
        "一、对《财政部 税务总局关于实施小微企业普惠性税收减免政策的通知》（财税〔2019〕13号）自2019年1月1日"
        "起实施的政策，继续执行。本公告自2024年1月1日起施行。")))
    assert document.effective_from == date(2024, 1, 1)


def test_a_document_naming_no_place_in_a_national_compilation_is_national():
    from conftest import documents_of

    documents = documents_of(notice("国务院办公厅关于加快构建废弃物循环利用体系的意见")
                             + "\n" + notice("支持科技创新主要税费优惠政策指引", signature="", day="2024年3月1日"))
    assert [(d.region, d.level) for d in documents] == [("全国", "national"), ("全国", "national")]
    assert any("region taken from the compilation" in w for w in documents[1].warnings)


def test_a_document_naming_no_place_beside_a_local_one_is_not_made_national():
    from conftest import documents_of

    documents = documents_of(notice("国务院办公厅关于加快构建废弃物循环利用体系的意见")
                             + "\n" + notice("省财政厅关于做好贴息工作的通知", signature="省财政厅", day="2024年3月1日")
                             + "\n" + notice("工业和信息化厅关于做好技改工作的通知", signature="工业和信息化厅",
                                              day="2024年4月1日"))
    assert [d.level for d in documents] == ["national", None, None]


@pytest.mark.parametrize("signature", ["最高人民检察院第九届检察委员会", "中华人民共和国海关总署", "政务院"])
def test_an_issuer_whose_name_begins_with_a_central_organ_s_is_national(signature):
    document = one_document(notice("关于加强有关工作的决定", signature=signature))
    assert (document.region, document.level) == ("全国", "national")


def test_a_document_whose_region_stays_unknown_says_so():
    from conftest import documents_of

    documents = documents_of(notice("支持科技创新主要税费优惠政策指引", signature=""))
    assert documents[0].region is None
    assert any("region unknown" in w for w in documents[0].warnings)


LAW = """# 中华人民共和国某某法

1993年12月29日 第八届全国人民代表大会常务委员会第五次会议通过

2018年10月26日 第十三届全国人民代表大会常务委员会第六次会议《关于修改〈中华人民共和国某某法〉的决定》第四次修正\u3000

2023年12月29日 第十四届全国人民代表大会常务委员会第七次会议《关于修改〈中华人民共和国海洋环境保护法〉、〈中华人民共和国某某法〉等七部法律的决定》第二次修订

<!-- INFO END -->

第一条 为了规范某某行为，制定本法。

第二条 本法自2006年1月1日起施行。"""


def test_a_revised_law_is_dated_by_its_latest_revision():
    document = one_document(LAW, pdf=False)
    assert document.date == date(2023, 12, 29)  # as the official database dates this version, not 1993
    assert document.effective_from is None  # 2006 is when its first version took effect; this one's is not said
    assert [p.eid for p in document.provisions] == ["art_1", "art_2"]  # a long event line is no provision


def test_the_day_printed_with_the_title_that_a_version_takes_effect_wins_over_its_text():
    text = LAW.replace("<!-- INFO END -->", "2024年7月1日 施行\n\n<!-- INFO END -->")
    document = one_document(text, pdf=False)
    assert (document.date, document.effective_from) == (date(2023, 12, 29), date(2024, 7, 1))


def test_a_text_adopted_twice_is_dated_by_its_second_adoption():
    document = one_document("""# 最高人民法院关于某某问题的规定

2018年6月25日 最高人民法院审判委员会第1743次会议通过

2023年12月5日 最高人民法院审判委员会第1908次会议通过

<!-- INFO END -->

第一条 为了规范某某，制定本规定。

第二条 本规定自2018年7月1日起施行。""", pdf=False)
    assert (document.date, document.effective_from) == (date(2023, 12, 5), None)


def test_a_policy_issued_after_the_day_it_applies_from_keeps_that_day():
    document = one_document(notice("关于延续实施某某税收优惠政策的公告", body="一、本公告自2024年1月1日起施行。",
                                   day="2024 年 3 月 6 日"))
    assert (document.date, document.effective_from) == (date(2024, 3, 6), date(2024, 1, 1))  # retroactive


@pytest.mark.parametrize("header, issued, start", [
    # Several events on one line, joined by 根据; a decision's name says nothing of what happened (实施细则)
    ("1993年2月22日 第七届全国人民代表大会常务委员会第三十次会议通过 根据2000年7月8日第九届全国人民代表大会常务委员会"
     "第十六次会议《关于修改〈中华人民共和国某某法实施细则〉的决定》第一次修正", "2000-07-08", None),
    ("2012年12月3日 公安部令第125号第二次修正。", "2012-12-03", None),  # a full stop
    ("2022年3月24日 国家市场监督管理总局令第55号修改", "2022-03-24", None),
    ("2021年4月7日 最高人民法院审判委员会第1835次会议通过的《关于修改〈某某解释〉的决定》修正，该修正自2021年4月15日施行",
     "2021-04-07", "2021-04-15"),
    # The first version's 施行, listed in its history, is not this version's
    ("1979年7月4日 公布\n\n1980年1月1日 施行\n\n2022年3月11日 第十三届全国人民代表大会第五次会议修正", "2022-03-11", None),
])
def test_a_law_s_event_lines_in_the_forms_the_laws_print_them(header, issued, start):
    text = f"# 中华人民共和国某某法\n\n1990年1月1日 第七届全国人民代表大会常务委员会第十次会议通过\n\n{header}\n\n<!-- INFO END -->\n\n" \
           "第一条 为了规范某某行为，制定本法。\n\n第二条 本法自公布之日起施行。"
    document = one_document(text, pdf=False)
    assert document.date.isoformat() == issued
    assert document.effective_from == (date.fromisoformat(start) if start else None)
    assert [p.eid for p in document.provisions] == ["art_1", "art_2"]  # no event line is read as a provision


def test_a_subtitle_or_an_unknown_kind_of_title_still_has_its_header_read():
    code = one_document("# 中华人民共和国民法典\n\n# 合同编\n\n2020年5月28日 第十三届全国人民代表大会第三次会议通过\n\n"
                        "2021年1月1日 施行\n\n<!-- INFO END -->\n\n第一条 为了规范合同，制定本编。", pdf=False)
    assert (code.title, code.date, code.effective_from) == ("中华人民共和国民法典", date(2020, 5, 28), date(2021, 1, 1))
    arrangement = one_document("# 最高人民法院关于内地与香港特别行政区相互执行仲裁裁决的安排\n\n法释〔2000〕3号\n\n"
                               "1999年6月18日 最高人民法院审判委员会第1069次会议通过\n\n2000年2月1日 施行\n\n"
                               "<!-- INFO END -->\n\n一、在内地或者香港特区作出的仲裁裁决，一方当事人不履行仲裁裁决的，可以申请执行。",
                               pdf=False)
    assert arrangement.title == "最高人民法院关于内地与香港特别行政区相互执行仲裁裁决的安排"  # 安排: no genre word
    assert (arrangement.doc_number, arrangement.date) == ("法释〔2000〕3号", date(1999, 6, 18))
    assert not any("no title" in warning for warning in arrangement.warnings)


def test_the_document_s_own_term_wins_over_a_measure_s():
    body = "一、对承诺事项实行告知承诺制，上述承诺政策有效期至2024年3月31日。\n二、本通知自印发之日起施行，有效期至2025年12月31日。"
    document = one_document(notice("关于做好用地用海要素保障工作的通知", body=body))
    assert document.effective_to == date(2025, 12, 31)


def test_a_date_printed_with_a_title_that_names_no_event_is_not_its_issue():
    document = one_document("关于做好某某工作的通知\n（2023年12月29日印发，自2024年1月1日起施行，有效期至2025年12月31日）\n"
                            "一、做好某某工作。")
    assert (document.date, document.effective_from) == (date(2023, 12, 29), date(2024, 1, 1))


def test_a_file_holding_one_undated_text_is_dated_by_its_name(tmp_path):
    from huiqi import Library
    from huiqi.parse import _named_date

    text = "# 最高人民法院关于某某纠纷案件适用法律若干问题的解释\n\n<!-- INFO END -->\n\n第一条 某某纠纷案件由中级人民法院管辖。\n"
    (tmp_path / "某某解释(2015-04-22).md").write_text(text, encoding="utf-8")
    library = Library(tmp_path / "home")
    library.ingest([tmp_path / "某某解释(2015-04-22).md"])
    document = library.documents()[0]
    assert document.date == date(2015, 4, 22)
    assert "date 2015-04-22 taken from the file name: none was read from the text" in document.warnings

    assert _named_date("汇编_20240101.txt", 2) is None  # a compilation's date is not its texts'
    assert _named_date("某某通知_20240101.txt", 1) == date(2024, 1, 1)
    assert _named_date("某某通知(2023-13-45).md", 1) is None
    assert _named_date("某某通知2024.md", 1) is None


@pytest.mark.parametrize(("text", "dated", "effective_from"), [
    ("国务院关于某某工作的通知\n各省人民政府：\n一、做好某某工作。", date(2009, 3, 29), None),
    ("国务院关于某某工作的通知\n各省人民政府：\n一、做好某某工作。\n二、本通知自2024年1月1日起施行。", date(2009, 3, 29),
     date(2024, 1, 1)),
    ("某某条例\n第一条 为了规范某某工作，制定本条例。\n第二条 本条例自公布之日起施行。", date(2009, 3, 29), date(2009, 3, 29)),
    ("国务院关于某某工作的通知\n国发〔2008〕3号\n各省人民政府：\n一、做好某某工作。", None, None),  # issued in 2008
    ("财政部公告2008年第3号\n关于某某工作的公告\n一、做好某某工作。", None, None),  # a 公告 number's year too
])
def test_the_date_a_file_s_name_gives_is_the_text_s_own(text, dated, effective_from):
    """Taken as the text is read, so that 自公布之日起施行 starts the text that day (it left it without a start)."""
    from conftest import pdf_lines, source_of
    from huiqi.parse import parse_source

    [document] = parse_source(source_of(pdf_lines(text), "某某(2009-03-29).txt")).documents
    assert (document.date, document.effective_from) == (dated, effective_from)
