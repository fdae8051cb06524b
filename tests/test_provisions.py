"""The provision tree: eIds, nesting, labels, citations and source spans."""

from __future__ import annotations

from conftest import one_document

REGULATION = """江苏省促进中小企业发展条例
（2024年3月1日江苏省人民代表大会常务委员会通过）
第一编 总则
第一章 一般规定
第一条 为了促进中小企业发展，制定本条例。
第二条 本条例所称中小企业，是指依法设立的企业。
前款所称企业，包括个体工商户。
第二章 扶持措施
第一节 资金支持
第三条 县级以上人民政府应当安排下列资金：
（一）中小企业发展专项资金；
（二）贷款贴息资金，包括：
1.设备贷款贴息；
2.首贷贴息。
第三条之一 依照本条例第三条规定安排的资金，不得挪作他用。
第四条 贴息资金按照贷款利息计算，贴息比例不超过贷款利息的1.5倍
以内的部分，按照11.5.14.2的规定执行。"""

NOTICE = """关于实施“苏质贷”小微企业贴息政策的通知
苏财金〔2024〕25号
各设区市财政局：
为支持小微企业发展，现就有关事项通知如下。
一、贴息对象
（一）支持范围。江苏省内的小微企业。
1.已获得“苏质贷”贷款；
2.信用良好。
（1）近三年无失信记录；
（二）贴息标准。按贷款额的1%给予贴息。
二、工作要求
（三）加强宣传。各地要做好政策宣传。
附件：“苏质贷”贴息申请表
江苏省财政厅
2024年3月19日
“苏质贷”贴息申请表
企业名称：
联系电话："""


def provisions(text: str) -> dict:
    return {p.eid: p for p in one_document(text).provisions}


def test_regulation_eids_follow_akoma_ntoso():
    found = provisions(REGULATION)
    assert list(found)[:5] == ["part_1", "part_1__chp_1", "part_1__chp_1__art_1", "part_1__chp_1__art_2",
                               "part_1__chp_1__art_2__para_1"]
    for eid in ("part_1__chp_1__art_2__para_2", "part_1__chp_2__sec_1__art_3", "part_1__chp_2__sec_1__art_3__point_2",
                "part_1__chp_2__sec_1__art_3__point_2__item_1", "part_1__chp_2__sec_1__art_3-1"):
        assert eid in found, eid


def test_labels_headings_and_text_are_kept_apart():
    found = provisions(REGULATION)
    chapter = found["part_1__chp_2"]
    assert (chapter.kind, chapter.num, chapter.heading, chapter.text) == ("chapter", "第二章", "扶持措施", "")
    article = found["part_1__chp_1__art_1"]
    assert (article.kind, article.num, article.text) == ("article", "第一条", "为了促进中小企业发展，制定本条例。")
    assert found["part_1__chp_2__sec_1__art_3__point_1"].num == "（一）"
    assert found["part_1__chp_2__sec_1__art_3-1"].num == "第三条之一"


def test_paragraphs_of_an_article_are_para_nodes_with_their_own_lines():
    found = provisions(REGULATION)
    first, second = found["part_1__chp_1__art_2__para_1"], found["part_1__chp_1__art_2__para_2"]
    assert second.text == "前款所称企业，包括个体工商户。"
    assert first.first_line < second.first_line
    assert found["part_1__chp_1__art_2"].text == ""


def test_cross_references_and_decimals_are_not_headings():
    found = provisions(REGULATION)
    assert found["part_1__chp_2__sec_1__art_3-1"].text.startswith("依照本条例第三条规定")
    assert found["part_1__chp_2__sec_1__art_4"].text == (
        "贴息资金按照贷款利息计算，贴息比例不超过贷款利息的1.5倍以内的部分，按照11.5.14.2的规定执行。")
    assert not any(eid.endswith("art_3-1__point_1") for eid in found)


def test_regulation_citations():
    found = provisions(REGULATION)
    assert found["part_1__chp_1__art_2__para_2"].citation == "《江苏省促进中小企业发展条例》第二条第二款"
    assert found["part_1__chp_2__sec_1__art_3__point_2"].citation == "《江苏省促进中小企业发展条例》第三条第二项"
    assert found["part_1__chp_2"].citation == "《江苏省促进中小企业发展条例》第一编第二章"  # chapters count within a 编


def test_gongwen_outline_eids_and_citations():
    found = provisions(NOTICE)
    assert "sec_1__item_1__sub_2__point_1" in found
    item = found["sec_1__item_1"]
    assert (item.kind, item.num, item.heading) == ("item", "（一）", "支持范围")
    assert item.citation == "《关于实施“苏质贷”小微企业贴息政策的通知》一、（一）"
    assert found["sec_1__item_1__sub_2"].citation == "《关于实施“苏质贷”小微企业贴息政策的通知》一、（一）2."
    assert found["sec_2__item_3"].num == "（三）"  # numbering that continues across sections


def test_preamble_signature_and_attachments():
    found = provisions(NOTICE)
    assert found["preamble"].text == "各设区市财政局：\n为支持小微企业发展，现就有关事项通知如下。"
    assert found["signature"].text == "江苏省财政厅\n2024年3月19日"
    assert found["attachment_list"].text == "附件：“苏质贷”贴息申请表"
    attachment = found["att_1"]
    assert (attachment.kind, attachment.heading) == ("attachment", "“苏质贷”贴息申请表")
    assert attachment.text == "企业名称：\n联系电话："
    assert attachment.citation == "《“苏质贷”贴息申请表》"


def test_spans_point_at_original_lines_and_contain_children():
    document = one_document(NOTICE)
    by_eid = {p.eid: p for p in document.provisions}
    section = by_eid["sec_1"]
    assert section.first_line == 9  # pdf_lines: text line n sits on line 2n - 1
    assert section.last_line >= by_eid["sec_1__item_2"].last_line
    first, last = document.source_lines
    assert all(first <= p.first_line <= p.last_line <= last for p in document.provisions)


def test_order_of_provisions_is_reading_order():
    document = one_document(REGULATION)
    starts = [p.first_line for p in document.provisions if p.kind == "article"]
    assert starts == sorted(starts)


def test_a_one_sentence_article_has_no_heading():
    found = provisions("""建设工程抗震管理条例
（2021年7月19日国务院令第744号公布）
第三条 建设工程抗震应当坚持以人为本、全面设防、突出重点的原则。
第四条 目的和依据
为了规范管理，制定本条例。""")
    assert (found["art_3"].heading, found["art_3"].text) == ("", "建设工程抗震应当坚持以人为本、全面设防、突出重点的原则。")
    assert (found["art_4"].heading, found["art_4"].text) == ("目的和依据", "为了规范管理，制定本条例。")


def test_a_sentence_that_starts_with_fu_jian_is_body_text_and_nothing_is_lost():
    document = one_document("""中共中央 国务院关于促进民营经济发展壮大的意见
（2023 年 7 月 14 日）
民营经济是推进中国式现代化的生力军。
一、总体要求。坚持“两个毫不动摇”。
附件2所列企业名单由各地审核确定。
二、组织实施。各地区各部门要抓好落实。
三、加强宣传。营造良好氛围。""")
    found = {p.eid: p for p in document.provisions}
    assert {"sec_1", "sec_2", "sec_3"} <= set(found) and "attachment_list" not in found
    assert "附件2所列企业名单由各地审核确定。" in found["sec_1"].text


def test_an_attachment_after_a_bare_marker_without_a_signature():
    document = one_document("""中共中央 国务院关于促进民营经济发展壮大的意见
（2023 年 7 月 14 日）
一、总体要求。坚持“两个毫不动摇”。
附件1
民营企业发展情况统计调查实施办法
第一条 为了做好统计调查，制定本办法。
第二条 本办法自印发之日起施行。""")
    found = {p.eid: p for p in document.provisions}
    assert found["att_1"].heading == "民营企业发展情况统计调查实施办法"
    assert found["att_1__art_2"].citation == "《民营企业发展情况统计调查实施办法》第二条"
    assert "附件1" not in found["sec_1"].text


def test_wrapped_numbers_and_table_rows_are_not_items():
    document = one_document("""漯河市财政局关于做好2024年贷款贴息工作的通知
各县区财政局：
一、申报时间。企业应当在贷款发放后，于
1 个月内提交申请，逾期不予受理。
二、名单。
1 | 甲公司 | 100万元
2 | 乙公司 | 50万元
漯河市财政局
2024年3月6日""")
    found = {p.eid: p for p in document.provisions}
    assert "sec_1__sub_1" not in found and found["sec_1"].text.endswith("逾期不予受理。")
    assert "sec_2__sub_1" not in found and "1 | 甲公司 | 100万元" in found["sec_2"].text


def test_a_paragraph_after_the_last_item_of_a_list_is_the_next_paragraph_of_the_article():
    found = provisions("""生产安全事故罚款处罚规定
第十三条 事故发生单位有下列行为之一的，依照下列规定处以罚款：
（一）发生一般事故的，处100万元以上150万元以下的罚款；
（二）发生较大事故的，处150万元以上200万元以下的罚款。
事故发生单位贻误事故抢救的，依照下列规定处以罚款：
（一）发生一般事故的，处300万元以上350万元以下的罚款；
（二）发生较大事故的，处350万元以上400万元以下的罚款。
第十四条 法律、法规或者规章规定的其他情形。""")
    assert found["art_13__para_2"].text == "事故发生单位贻误事故抢救的，依照下列规定处以罚款："
    assert found["art_13__para_1__point_2"].text == "发生较大事故的，处150万元以上200万元以下的罚款。"
    assert found["art_13__para_2__point_1"].citation == "《生产安全事故罚款处罚规定》第十三条第二款第一项"


def test_items_of_an_outline_keep_their_paragraphs():
    found = provisions("""关于做好贷款贴息工作的通知
各县区财政局：
一、贴息对象。
（一）支持范围。
江苏省内的小微企业。
（二）申请条件。
信用良好。""")
    assert found["sec_1__item_1"].heading == "支持范围"
    assert "江苏省内的小微企业。" in found["sec_1__item_1"].text


def test_an_item_of_an_article_has_no_heading():
    found = provisions("""生态环境行政处罚办法
第六条 有下列情形之一的，执法人员应当自行申请回避：
（一）是本案当事人或者当事人近亲属的；
（二）法律、法规或者规章规定的其他回避情形。""")
    assert found["art_6__point_2"].heading == ""
    assert found["art_6__point_2"].text == "法律、法规或者规章规定的其他回避情形。"


def test_a_bare_fu_jian_line_with_a_numbered_list_under_it_is_the_attachment_list():
    found = provisions("""省工信厅 省财政厅关于印发《江苏省制造业贷款财政贴息实施方案》的通知
苏工信综合〔2024〕98号
各设区市、县（市）工业和信息化局、财政局：
我们制定了《江苏省制造业贷款财政贴息实施方案》，现印发给你们，请认真贯彻落实。
附件：
1.江苏省制造业贷款财政贴息实施方案
2.“江苏制造贷”财政贴息合作银行承诺书
江苏省工业和信息化厅
2024年3月19日""")
    assert found["attachment_list"].text.startswith("附件：\n1.江苏省制造业贷款财政贴息实施方案")
    assert not any(eid.startswith("sub_") for eid in found)
