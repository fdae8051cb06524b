"""Splitting: every cue that starts (or must not start) a document, on small hand-written compilations."""

from __future__ import annotations

import pytest

from conftest import documents_of

NOTICE_A = """国家发展改革委关于
进一步完善分时电价机制的通知
发改价格〔2021〕1093 号
各省、自治区、直辖市发展改革委：
为充分发挥分时电价信号作用，现就有关事项通知如下。
一、优化峰谷电价机制。峰谷电价价差原则上不低于4:1。
二、本通知自2021年12月1日起执行。
国家发展改革委
2021 年 7 月 26 日"""

NOTICE_B = """工业和信息化部关于深化“证照分离”改革的通告
工信部政法函〔2021〕159 号
为贯彻落实国务院部署，现将有关事宜通告如下：
一、取消审批的事项，企业可直接开展经营活动。
特此通告。
工业和信息化部
2021 年 6 月 29 日"""

ORDER = """中华人民共和国国务院令
第 744 号
《建设工程抗震管理条例》已经 2021 年 5 月 12 日国务院第 135 次常务会议通过，现予公布，自 2021 年 9 月 1 日起施行。
总理 李克强
2021 年 7 月 19 日
建设工程抗震管理条例
第一章 总 则
第一条 为了提高建设工程抗震防灾能力，制定本条例。
第二条 本条例自 2021 年 9 月 1 日起施行。"""


def titles(text: str, pdf: bool = True) -> list[str]:
    return [d.title for d in documents_of(text, pdf)]


def test_a_single_document_file_is_one_document():
    assert titles(NOTICE_A) == ["国家发展改革委关于进一步完善分时电价机制的通知"]


def test_new_document_starts_at_a_title_followed_by_its_doc_number():
    documents = documents_of(NOTICE_A + "\n" + NOTICE_B)
    assert [d.doc_number for d in documents] == ["发改价格〔2021〕1093号", "工信部政法函〔2021〕159号"]
    assert documents[0].source_lines == (1, 17)
    assert documents[1].source_lines[0] == 19


def test_order_header_and_its_regulation_are_one_document():
    documents = documents_of(ORDER + "\n" + NOTICE_B)
    assert [d.title for d in documents] == ["建设工程抗震管理条例", "工业和信息化部关于深化“证照分离”改革的通告"]
    assert documents[0].doc_number == "国务院令第744号"
    assert documents[0].source_lines[0] == 1


def test_category_separator_lines_end_a_document_and_name_the_next_ones():
    text = f""" 法律法规
{ORDER}
 国务院文件
国务院办公厅关于完善科技成果评价机制的指导意见
国办发〔2021〕26 号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
一、总体要求。坚持科技创新质量、绩效、贡献为核心的评价导向。
国务院办公厅
2021 年 7 月 16 日
 部门规章和规范性文件
 （自然资源部）
{NOTICE_B}"""
    documents = documents_of(text)
    assert [d.category for d in documents] == ["法律法规", "国务院文件", "自然资源部"]
    assert documents[0].source_lines[1] < documents[1].source_lines[0]
    assert all("国务院文件" not in p.text for d in documents for p in d.provisions)


def test_doc_number_above_the_title_starts_the_document_gbt9704_layout():
    text = """漯河市人民政府文件
漯政〔2024〕12号
漯河市人民政府
关于印发漯河市中小微企业贷款贴息资金管理办法的通知
各县区人民政府，市人民政府各部门：
现将《漯河市中小微企业贷款贴息资金管理办法》印发给你们，请认真贯彻执行。
漯河市人民政府
2024 年 4 月 3 日
舞阳县人民政府文件
舞政〔2024〕9号
舞阳县人民政府关于支持个体工商户稳岗扩岗的通知
各乡镇人民政府：
一、对稳岗的个体工商户给予补贴。
舞阳县人民政府
2024 年 5 月 20 日"""
    documents = documents_of(text)
    assert [d.source_lines[0] for d in documents] == [1, 17]
    assert [d.doc_number for d in documents] == ["漯政〔2024〕12号", "舞政〔2024〕9号"]
    assert documents[0].title == "漯河市人民政府关于印发漯河市中小微企业贷款贴息资金管理办法的通知"


def test_titles_split_over_lines_with_co_issuers_on_their_own_lines():
    text = """国家发展改革委 住房城乡建设部 生态环境部
关于推进污水处理减污降碳协同增效的实施意见
发改环资〔2023〕1714 号
各省、自治区、直辖市发展改革委：
一、总体要求。推进污水处理减污降碳协同增效。
国家发展改革委
住房城乡建设部
生态环境部
2023 年 12 月 12 日"""
    document = documents_of(text)[0]
    assert document.title == "国家发展改革委 住房城乡建设部 生态环境部关于推进污水处理减污降碳协同增效的实施意见"
    assert document.issuers == ["国家发展改革委", "住房城乡建设部", "生态环境部"]


def test_a_title_right_after_a_closing_date_starts_a_document_without_doc_number():
    text = NOTICE_B + """
中共中央 国务院关于全面推进美丽中国建设的意见
建设美丽中国是全面建设社会主义现代化国家的重要目标，现提出如下意见。
一、总体要求。以习近平新时代中国特色社会主义思想为指导。"""
    assert titles(text) == ["工业和信息化部关于深化“证照分离”改革的通告", "中共中央 国务院关于全面推进美丽中国建设的意见"]


def test_a_notice_that_issues_a_measure_is_one_document_with_its_attachment():
    text = """省工信厅 省财政厅关于印发《江苏省制造业贷款财政贴息实施方案》的通知
苏工信综合〔2024〕98号
各设区市工业和信息化局、财政局：
现将《江苏省制造业贷款财政贴息实施方案》印发给你们，请认真贯彻执行。
附件：江苏省制造业贷款财政贴息实施方案
江苏省工业和信息化厅
江苏省财政厅
2024年3月19日
江苏省制造业贷款财政贴息实施方案
第一章 总则
第一条 为有效发挥财政资金撬动作用，制定本方案。
第二条 贴息对象为制造业企业。"""
    documents = documents_of(text)
    assert len(documents) == 1
    assert documents[0].attachments == ["江苏省制造业贷款财政贴息实施方案"]
    attachment = [p for p in documents[0].provisions if p.kind == "attachment"]
    assert [p.eid for p in attachment] == ["att_1"]
    assert any(p.eid == "att_1__chp_1__art_2" for p in documents[0].provisions)


def test_attachment_headings_repeated_table_headers_and_date_lines_do_not_start_documents():
    text = """关于开展2024年度科技创新券申领兑付工作的通知
漯科〔2024〕15号
各县区科技主管部门：
2024年6月30日前，各县区要完成创新券的初审工作。
2024 年 12 月 31 日
以上日期为兑付截止日。
序号\t服务机构\t额度
1\t检测中心\t10万元
序号\t服务机构\t额度
2\t设计院\t5万元
附件1
漯河市科技创新券申领表
附件2：漯河市科技创新服务机构备案表
漯河市科学技术局
2024 年 4 月 22 日"""
    documents = documents_of(text)
    assert len(documents) == 1, [d.title for d in documents]
    assert documents[0].date.isoformat() == "2024-04-22"


def test_table_of_contents_guides_splitting_even_with_typos():
    text = """2024年第一季度惠企政策汇编
目 录
1. 商务部等 9 部门关于推动农村电商高质量发展的实施见…………… 1
2. 关于质量基础设施助力产业链供应链质量联动提升的指导意见…………… 8
商务部等 9 部门关于推动农村电商 高质量发展的实施意见
各省、自治区、直辖市商务主管部门：
发展农村电商，是创新商业模式的重要举措。
商务部
2024年3月5日
关于质量基础设施助力产业链供应链质量联动提升的指导意见
各省、自治区、直辖市市场监管局：
为推动产业链供应链质量联动提升，提出如下意见。
市场监管总局
2024年1月10日"""
    documents = documents_of(text)
    assert [d.title for d in documents] == ["商务部等9部门关于推动农村电商高质量发展的实施意见",
                                           "关于质量基础设施助力产业链供应链质量联动提升的指导意见"]
    assert documents[0].toc_title.endswith("实施见")
    assert any("table of contents" in w for w in documents[0].warnings)


def test_a_title_only_in_the_table_of_contents_is_recovered_after_the_closing_date():
    text = """目 录
1. 国务院办公厅关于加快构建废弃物循环利用体系的意见……3
2. 中共中央 国务院关于学习运用“千万工程”经验推进乡村全面振兴的意见……9
国务院办公厅关于加快构建废弃物循环利用体系的意见
国办发〔2024〕7号
各省、自治区、直辖市人民政府：
构建废弃物循环利用体系是实施全面节约战略的重要举措。
国务院办公厅
2024年2月6日
推进中国式现代化，必须坚持不懈夯实农业基础，推进乡村全面振兴。
一、确保国家粮食安全。抓好粮食和重要农产品生产。"""
    documents = documents_of(text)
    assert [d.title for d in documents] == ["国务院办公厅关于加快构建废弃物循环利用体系的意见",
                                           "中共中央 国务院关于学习运用“千万工程”经验推进乡村全面振兴的意见"]
    assert "title not found in the body; taken from the table of contents" in documents[1].warnings
    assert documents[1].source_lines[0] == 19


def test_a_markdown_law_file_is_one_document():
    text = """# 中华人民共和国中小企业促进法

2017年9月1日 第十二届全国人民代表大会常务委员会第二十九次会议修订

2018年1月1日 施行

<!-- INFO END -->

## 第一章 总则

第一条 为了改善中小企业经营环境，制定本法。

第二条 本法所称中小企业，是指在中华人民共和国境内依法设立的企业。"""
    documents = documents_of(text, pdf=False)
    assert len(documents) == 1
    assert documents[0].title == "中华人民共和国中小企业促进法"
    assert documents[0].effective_from.isoformat() == "2018-01-01"
    assert [p.eid for p in documents[0].provisions][-2:] == ["chp_1__art_1", "chp_1__art_2"]


@pytest.mark.parametrize("events, issuers, issued", [
    ("1989年8月20日 国务院批准　\n\n1989年9月11日 中华人民共和国国家教育委员会令第4号发布　", ["中华人民共和国国家教育委员会"],
     "1989-09-11"),
    ("1997年1月22日 国务院批准\n\n1997年4月10日 海关总署第61号令发布", ["海关总署"], "1997-04-10"),
    ("1990年10月28日 国务院批准\n\n1990年12月12日 对外经济贸易部发布", ["对外经济贸易部"], "1990-12-12"),
    ("1987年8月27日 国家外汇管理局发布  根据", ["国家外汇管理局"], "1987-08-27"),
    ("2013年9月23日 最高人民检察院第十二届检察委员会第十次会议通过", ["最高人民检察院"], "2013-09-23"),
    ("2005年5月24日 最高人民法院公告公布", ["最高人民法院"], "2005-05-24"),
])
def test_a_regulation_approved_by_the_state_council_is_dated_and_issued_by_its_department(events, issuers, issued):
    text = f"""# 某某管理办法

{events}

2021年1月8日 《国务院关于废止和修改部分行政法规的决定》修订）

<!-- INFO END -->

第一条 为了加强管理，制定本办法。

第二条 本办法自发布之日起施行。"""
    document = documents_of(text, pdf=False)[0]
    assert document.issuers == issuers
    assert document.date.isoformat() == "2021-01-08"  # as revised then
    assert document.effective_from is None  # its 自发布之日起施行 was said of the first version
    document = documents_of(text.replace("2021年1月8日 《国务院关于废止和修改部分行政法规的决定》修订）", ""),
                            pdf=False)[0]  # never revised
    assert document.date.isoformat() == issued == document.effective_from.isoformat()  # 发布, not 批准
    assert document.level == "national"  # a ministry, though renamed since
    assert [p.eid for p in document.provisions] == ["art_1", "art_2"]  # the event lines are no provisions


LUOHE = """漯河市财政局关于做好2024年贷款贴息工作的通知
漯财金〔2024〕5号
各县区财政局：
一、贴息对象。下列企业可以申请：
{middle}
二、工作要求。各地要抓好落实。
漯河市财政局
2024年3月6日"""


def test_a_table_is_not_a_table_of_contents():
    table = "| 企业类型 | 贴息比例 | 上限（万元） |\n| 小型企业 | 50% | 100 |\n| 中型企业 | 30% | 200 |\n| 微型企业 | 60% | 50 |"
    document = documents_of(LUOHE.format(middle=table))[0]
    assert document.title == "漯河市财政局关于做好2024年贷款贴息工作的通知"
    assert document.doc_number == "漯财金〔2024〕5号" and document.warnings == []


def test_a_category_word_inside_a_document_is_text():
    text = LUOHE.format(middle="制造业企业\n服务业企业\n其他") + """
漯河市人民政府关于支持个体工商户的通知
漯政〔2024〕9号
各县区人民政府：
一、给予补贴。
漯河市人民政府
2024年5月6日"""
    first, second = documents_of(text)
    assert "其他" in first.provisions[1].text and second.category is None


def test_a_title_tail_that_looks_like_a_category_does_not_break_the_document():
    document = documents_of("""漯河市2024年惠企政策清单
（漯河市）
各县区人民政府：
一、给予补贴。对企业给予补贴。
漯河市人民政府
2024年5月6日""")[0]
    assert document.date.isoformat() == "2024-05-06"


def test_doc_number_beside_the_signer_and_reports_and_requests_are_documents():
    text = """漯河市人民政府关于做好稳岗工作的请示
漯政〔2024〕15号                签发人：张三
省人民政府：
一、基本情况。我市企业稳岗压力较大。
漯河市人民政府
2024年5月6日
漯河市人民政府关于2023年度中小企业发展情况的报告
漯政文〔2024〕21号
市人大常委会：
一、基本情况。我市中小企业发展良好。
漯河市人民政府
2024年5月8日"""
    documents = documents_of(text)
    assert [(d.doc_number, d.genre) for d in documents] == [("漯政〔2024〕15号", "请示"), ("漯政文〔2024〕21号", "报告")]
