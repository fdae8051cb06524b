"""Cleaning: every PDF-extraction artefact seen in the corpus is repaired, and each cleaned line still
knows the original lines it came from."""

from __future__ import annotations

import pytest

from conftest import pdf_lines
from huiqi.clean import clean, normalise


def texts(raw: list[str]) -> list[str]:
    return [line.text for line in clean(raw)]


def test_blank_line_after_every_text_line_is_dropped():
    assert texts(pdf_lines("第一条 为了规范管理，制定本办法。\n第二条 本办法适用于全省。")) == [
        "第一条 为了规范管理，制定本办法。", "第二条 本办法适用于全省。"]


def test_bare_page_number_lines_are_dropped_even_inside_a_sentence():
    raw = ["第四条 国务院住房和城乡建设主管部门对全国的建设工程抗震实施统一监督管理，国务院有关部门按", "", "",
           "", "2", "", " 照职责分工负责有关专业建设工程抗震的监督管理。"]
    lines = clean(raw)
    assert [line.text for line in lines] == [
        "第四条 国务院住房和城乡建设主管部门对全国的建设工程抗震实施统一监督管理，国务院有关部门按照职责分工负责有关专业建设工程抗震的监督管理。"]
    assert (lines[0].first, lines[0].last) == (1, 7)


@pytest.mark.parametrize("page_number", ["12", "- 12 -", "—12—", "第 3 页", "3/20"])
def test_page_number_styles(page_number):
    assert texts(["甲。", page_number, "乙。"]) == ["甲。", "乙。"]


def test_leading_space_on_a_page_first_line_is_not_kept():
    lines = clean(["第一条 内容。", "", "17", "", " 第二条 内容。"])
    assert lines[1].text == "第二条 内容。"


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023 年 7月 5日", "2023年7月5日"),
    ("国市监注发〔2024〕10 号", "国市监注发〔2024〕10号"),
    ("第一章 总 则", "第一章 总则"),
    ("生 态 环 境 部", "生态环境部"),
    ("二 、 矿 业 权 人 在 自 然 资 源 部 政 务 服 务 门 户 网 站", "二、矿业权人在自然资源部政务服务门户网站"),
    ("推进 5G 应用", "推进5G应用"),
    ("Open Source Software 开源", "Open Source Software开源"),
    ("国家发展改革委 国家能源局关于加强电网调峰", "国家发展改革委 国家能源局关于加强电网调峰"),
])
def test_spaces_inside_chinese_text_dates_and_numbers(raw, expected):
    assert normalise(raw) == expected


def test_sentences_broken_across_blank_lines_are_joined():
    wrapped = pdf_lines("""为健全完善科技成果评价体系，更好发挥科技成果评价作用，促
进科技与经济社会发展更加紧密结合，加快推动科技成果转化为现实
生产力，现提出如下意见。
一、总体要求""")
    assert texts(wrapped) == ["为健全完善科技成果评价体系，更好发挥科技成果评价作用，促进科技与经济社会发展更加紧密结合，"
                                  "加快推动科技成果转化为现实生产力，现提出如下意见。", "一、总体要求"]


def test_whole_paragraph_lines_cut_by_a_page_break_are_joined():
    long_line = "到2025年，我国制造业中试发展取得积极进展，重点产业链中试能力基本全覆盖，数字化、网络化、智能化水平显著"
    assert texts([long_line, "", "提升，中试对制造业支撑保障作用明显增强。"]) == [
        long_line + "提升，中试对制造业支撑保障作用明显增强。"]


def test_a_cross_reference_at_the_start_of_a_wrapped_line_is_not_a_heading():
    wrapped = pdf_lines("""第五十一条 违反《土地管理法》规定的，由县级以上人民政府依照本条例
第三十条的规定责令限期改正，没收违法所得，并处罚款。""")
    assert len(texts(wrapped)) == 1


def test_u2003_and_ideographic_space_indents():
    assert texts(["\u2003\u2003第一条 为了规范管理。", "\u3000\u3000第二条 其他。"]) == [
        "第一条 为了规范管理。", "第二条 其他。"]


def test_markdown_leftovers():
    assert normalise("- （一）损害国家尊严或者利益；") == "（一）损害国家尊严或者利益；"
    assert normalise("1. **比例控制**。符合条件的项目可享受贴息。") == "1.比例控制。符合条件的项目可享受贴息。"
    assert normalise("## 第二章 申请条件") == "第二章 申请条件"
    assert normalise("| 项目 | 补贴标准 |") == "项目 | 补贴标准"
    assert normalise("详见<https://www.gov.cn/zhengce>。") == "详见https://www.gov.cn/zhengce。"
    assert texts(["| 项目 | 标准 |", "|---|---|", "| 稳岗 | 1500元 |"]) == ["项目 | 标准", "稳岗 | 1500元"]


def test_tab_separated_table_rows_keep_their_columns():
    assert normalise("1\t企业变更“一件事”\t企业变更登记\t市场监管部门") == (
        "1 | 企业变更“一件事” | 企业变更登记 | 市场监管部门")


def test_url_lines_between_documents_are_dropped_but_urls_inside_text_stay():
    lines = texts(["自然资源部", "2021 年 6 月 30 日",
                   "http://www.gov.cn/zhengce/zhengceku/2021-07/13/5624610/files/cd32c1bd.pdf",
                   "可在门户网站（http://ky.mnr.gov.cn/）查询。"])
    assert lines == ["自然资源部", "2021年6月30日", "可在门户网站（http://ky.mnr.gov.cn/）查询。"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("(2024年1月10日)", "（2024年1月10日）"),
    ("(一) 经该法人依法授权;", "（一）经该法人依法授权;"),
    ("贷款市场报价利率(LPR)加50个基点", "贷款市场报价利率（LPR）加50个基点"),
    ("f(x) = y", "f(x) = y"),
    ("２０２４年", "2024年"),
])
def test_brackets_and_full_width_digits(raw, expected):
    assert normalise(raw) == expected


def test_a_character_repeated_across_a_line_break():
    assert normalise("省工业和信息化厅关于印发装备行业稳增长工作方案贯彻 彻落实措施的通知") == (
        "省工业和信息化厅关于印发装备行业稳增长工作方案贯彻落实措施的通知")
    assert normalise("人人 人人有责") == "人人人人有责"  # a real reduplication stays


def test_every_cleaned_line_maps_back_to_its_original_lines():
    raw = pdf_lines("""关于进一步完善分时电价机制的通知
发改价格〔2021〕1093 号
为贯彻落实党中央、国务院决策部署，充分发挥分时电价信号作用，服务以
新能源为主体的新型电力系统建设，现就进一步完善分时电价机制有关
事项通知如下。""")
    lines = clean(raw)
    assert [(line.first, line.last) for line in lines] == [(1, 1), (3, 3), (5, 9)]
    for line in lines:
        assert raw[line.first - 1].strip()[:2] == line.text[:2]


def test_a_line_that_starts_with_de_continues_the_line_before():
    wrapped = ["第六十二条 生态环境主管部门依法公开生态环境行政处罚决定", "", "的下列信息：", "", "（一）行政处罚决定书文号；"]
    assert texts(wrapped)[0] == "第六十二条 生态环境主管部门依法公开生态环境行政处罚决定的下列信息："
