"""The shapes of a 公文 (GB/T 9704) and of a regulation, as regular expressions shared by the pipeline.

Kept in one place because cleaning, splitting and parsing must agree on what a heading, a 发文字号 or a
成文日期 looks like; each rule here describes how Chinese official documents are written, not one corpus file.
"""

from __future__ import annotations

import re
from datetime import date

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】〔〕…—·「」『』﹝﹞［］％"
CN_DIGITS = "零〇○一二三四五六七八九十百千两"
CN_NUM = f"[{CN_DIGITS}]+"

# Headings, from the outside in. A 条/章 label is a heading only when followed by a space or the end of the
# line: "第三十条的规定" inside a sentence that a PDF line break pushed to the start of a line is not one.
PART = re.compile(rf"^第({CN_NUM}|\d+)编(?:\s+|$)")
CHAPTER = re.compile(rf"^第({CN_NUM}|\d+)章(?:\s+|$)")
SECTION = re.compile(rf"^第({CN_NUM}|\d+)节(?:\s+|$)")
ARTICLE = re.compile(rf"^第({CN_NUM}|\d+)条(?:之({CN_NUM}))?(?:\s+|$)")
CN_ITEM = re.compile(rf"^({CN_NUM})[、.．](?!{CN_NUM}?[级类等批是])")  # 一、  (not 一、二级)
PAREN_CN_ITEM = re.compile(rf"^[（(]({CN_NUM})[）)]")  # （一）
# 1.  1、  and '1 目的' (a short heading after a space, as standards number them); not 1.5倍, 11.5.14, or
# '1 个月内提交…' (a wrapped sentence) or '1 | 甲公司 | 100万元' (a table row)
ARABIC_ITEM = re.compile(r"^(\d{1,2})(?:[.．、](?![\d.])|\s+(?=[^\s，。；|]{1,15}$))")
PAREN_ARABIC_ITEM = re.compile(r"^[（(](\d{1,2})[）)]")  # （1）
CIRCLED_ITEM = re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])")

HEADINGS = (PART, CHAPTER, SECTION, ARTICLE, CN_ITEM, PAREN_CN_ITEM, ARABIC_ITEM, PAREN_ARABIC_ITEM, CIRCLED_ITEM)

_DATE = rf"(\d{{4}}|[{CN_DIGITS}]{{4}})\s*年\s*(\d{{1,2}}|{CN_NUM})\s*月\s*(\d{{1,2}}|{CN_NUM})\s*日"
DATE = re.compile(_DATE)
# A line that is only a date, perhaps bracketed, perhaps "…通过/公布/印发" after it: the 成文日期 or the
# date under a title.
DATE_LINE = re.compile(rf"^[（(]?\s*{_DATE}\s*[）)]?$")
PAREN_DATE_LINE = re.compile(rf"^[（(][^（()）]{{0,40}}?{_DATE}.{{0,60}}[）)]$")

# 版记 at the foot of a 公文: "抄送：…" and "XX办公室 2024年4月3日印发".
COPY_LINE = re.compile(r"^(?:抄送|抄报|分送|发送)[:：]")
PRINTED_LINE = re.compile(rf"^[{CJK} ]{{2,40}}?\s*{_DATE}\s*印发$")
# Closing notes under the 成文日期: "（此件公开发布）", "（联系人：…）".
CLOSING_NOTE = re.compile(r"^[（(]此件.{1,10}[）)]$|^[（(]?联系人[:：]")

_BRACKET_OPEN = "〔［\\[（(﹝【{"
_BRACKET_CLOSE = "〕］\\]）)﹞】}"
# 发文字号: 机关代字 + 〔年份〕 + 序号 + 号, with every bracket variant seen in extracted text.
DOC_NUMBER = re.compile(
    rf"([{CJK}]{{1,16}})\s*[{_BRACKET_OPEN}]\s*(\d{{4}})\s*[{_BRACKET_CLOSE}]\s*(\d{{1,4}})\s*号")
# A 文号 as people type one, whitespace removed: any bracket or none around the year (国办发2024年7号), and 令 and
# 公告 numbers (民政部令第69号, 财政部税务总局公告2023年第7号). The issuer is the run of characters before it.
TYPED_DOC_NUMBER = re.compile(
    rf"([{CJK}、]*)(?:[{_BRACKET_OPEN}](\d{{4}})[{_BRACKET_CLOSE}]|(\d{{4}})年?)第?(\d{{1,5}})号"
    rf"|([{CJK}、]*令)第(\d{{1,5}})号")
# A provision cited after the title of its text: '公司法第十条', '劳动合同法第四十七条之一第一项',
# '《社会组织名称管理办法》第二十五条第二款'.
CN_NUMBER = "零〇一二两三四五六七八九十百千\\d"  # the characters a number is written with
CITED_ARTICLE = re.compile(rf"第([{CN_NUMBER}]+)条(?:之([{CN_NUMBER}]+))?(?:第([{CN_NUMBER}]+)款)?"
                           rf"(?:第([{CN_NUMBER}]+)项)?")
# alone on its line, bracketed, or with the 签发人 beside it (GB/T 9704 7.2.4, documents sent upward)
DOC_NUMBER_LINE = re.compile(rf"^[（(]?\s*{DOC_NUMBER.pattern}\s*[）)]?(?:\s*签发人[:：]\s*[{CJK} ]{{2,20}})?$")
# 令 and 公告 numbers: "第 744 号" under a 令 header, "2021 年第 41 号" under a 公告 title.
ORDER_HEADER = re.compile(
    rf"^(?:中华人民共和国)?[{CJK}、]{{1,40}}(?:院|部|委|委员会|政府|局|署|行|会|厅|办)令(?:\s*第\s*\d{{1,4}}\s*号)?$")
ORDER_NUMBER_LINE = re.compile(r"^第\s*(\d{1,4})\s*号$")
NOTICE_NUMBER_LINE = re.compile(rf"^[（(]?(?:[{CJK} ]{{2,40}}公告\s*)?(\d{{4}})\s*年\s*第\s*(\d{{1,4}})\s*号[）)]?$")
# "2018年11月6日 中华人民共和国国务院令第706号公布", "2019年3月1日 施行", "1989年2月10日 国务院批准",
# "2018年7月30日 最高人民法院审判委员会第1745次会议", "1999年12月25日 …会议通过的《中华人民共和国刑法修正案》": an
# event under a law's title. A decision it names may be long: '…《关于修改〈…组织法〉、〈…选举法〉、〈…代表法〉的决定》
# 第三次修正'.
DATE_EVENT_LINE = re.compile(
    rf"^{_DATE}\s*(?:[^，。；《]{{0,60}}|[^，。；《]{{0,40}}《[^》]{{1,160}}》[^，。；《]{{0,20}})"
    rf"(?:公布|施行|通过|修正|修订|修改|发布|印发|实施|批准|第[{CN_DIGITS}\d]+次会议|通过的《[^》]{{1,40}}》)$")
# '该修正自2021年4月15日施行': when a revision takes effect, said after it
_EFFECT_CLAUSE = re.compile(rf"^(?:该[{CJK}]{{1,4}})?自{_DATE}起?(?:施行|实施|生效)$")


def is_event_line(text: str) -> bool:
    """A line of events under a law's title: one, or several joined by 根据 ('1993年2月22日…通过 根据2000年7月8日…
    第一次修正 根据2009年…第二次修正'), each perhaps followed by when it takes effect; it may close a bracket, end in a
    full stop, or end in the 根据 that begins a note running on to the next line."""
    if not DATE.match(text):
        return False
    text = re.sub(r"(?<=修正|修订|修改|公布|发布|通过)。$", "", text.strip())  # not '…起施行。', a sentence
    parts = [part for part in re.split(r"\s*根据\s*", re.sub(r"[）)\s]+$", "", text)) if part]
    for part in parts:
        event, *effects = part.strip("，,").split("，")
        if not DATE_EVENT_LINE.match(event) or not all(_EFFECT_CLAUSE.match(effect) for effect in effects):
            return False
    return bool(parts)


ORDER_IN_TEXT = re.compile(rf"([{CJK}、]{{2,40}}?令)\s*(?:\(|（)?\s*第\s*(\d{{1,4}})\s*号")

GENRES = (
    "实施意见", "指导意见", "意见", "通知", "通告", "公告", "通报", "办法", "条例", "规定", "决定", "决议",
    "方案", "规划", "计划", "细则", "措施", "指南", "指引", "批复", "复函", "函", "纲要", "准则", "规则",
    "规程", "目录", "清单", "要点", "标准", "章程", "解释", "命令", "修正案", "纪要", "答复", "守则", "法典",
    "报告", "请示", "公报", "议案", "法",
)
GENRE_ROOT = {"实施意见": "意见", "指导意见": "意见", "复函": "函"}
# "（试行）", "（2021-2023 年）", "(修订)": parentheticals that may follow the genre word in a title.
TITLE_TAIL = re.compile(r"[（(][^（()）]{1,20}[）)]$")
TITLE_END = re.compile(rf"(?:{'|'.join(GENRES)})(?:[（(][^（()）]{{1,20}}[）)])?$")

CATEGORY_WORDS = ("法律法规", "法律", "行政法规", "法规", "国务院文件", "部门规章", "部门规章和规范性文件",
                  "规范性文件", "地方性法规", "地方政府规章", "地方文件", "省级文件", "市级文件",
                  "国家政策", "省级政策", "市级政策", "中央文件", "党内法规", "政策解读", "其他")
_SCOPE = "国家|中央|国务院|部委|部门|省级|省|市级|市|县级|县区|区县|区级|县|地方|行业"
CATEGORY_LINE = re.compile(
    rf"^(?:[一二三四五六七八九十]+、|第[{CN_DIGITS}]+部分\s*)?"
    rf"(?:{'|'.join(CATEGORY_WORDS)}|(?:{_SCOPE})(?:层面)?(?:政策|文件|规章|法规|政策文件))$"
    rf"|^[（(](?:[{CJK}]{{1,12}}(?:部|委|局|署|总局|委员会|办公厅|银行|税务|财税|部门|机构)|其他|综合"
    rf"|[{CJK}]{{2,10}}(?:省|市|县|区|自治区|自治州|盟))[）)]$")

# 附件 / 附件1 / 附件2：标题 / 附表1 / 附：  (not 附则, a chapter heading)
ATTACHMENT_LINE = re.compile(rf"^附\s*(?:件|表|录)?\s*(\d{{1,2}})?\s*(?:[:：.．、]\s*(.*)|$|(?<=\d)\s*([{CJK}《“].*))")


def attachment_marker(text: str) -> tuple[str, str] | None:
    """(number, title) of a 附件 line — '附件2：标题', '附件1', '附：' — or None. A sentence that merely starts
    with 附件 ('附件2所列企业名单由各地审核确定。') is not one: a marker is short and ends without a full stop."""
    match = ATTACHMENT_LINE.match(text)
    if not match or len(text) > 80:
        return None
    title = (match.group(2) or match.group(3) or "").strip()
    if ends_terminal(text) and (title or not text.endswith(("：", ":"))):  # '附件：' alone, a list below it
        return None
    if "，" in title:
        return None
    return match.group(1) or "", title


TOC_HEADING = re.compile(r"^目\s*录$")
# "12. 标题……………88": a title, a leader, a page number (a table row "小型企业 | 50% | 100" is not one)
TOC_ENTRY = re.compile(r"^(?:(\d{1,3})\s*[.、．]\s*)?(.+?)\s*(?:…+|[.·•_\-—]{3,})[\s|]*(\d{1,4})$")

# How the names of issuing organs end: 部, 委员会, 总局, 办公厅, 人民政府, 中央, 商会, 综合司, 服务中心 …
ORGAN_ENDINGS = "部|委员会|委|总局|局|院|办公厅|厅|署|办公室|办|行|政府|中央|会|社|司|处|组|中心|公司"
ORGAN_SUFFIX = re.compile(f"(?:{ORGAN_ENDINGS})$")
_ORGAN_NAME = re.compile(f"^[{CJK}]{{2,30}}(?:{ORGAN_ENDINGS})$")


def is_organ_line(text: str, with_verb: bool = True) -> bool:
    """A line of organ names only ('国家发展改革委 国家能源局', a 署名 line); `with_verb` also accepts a
    trailing '等N部门', '(关于)(联合)印发' or '关于', as a title's first line has them."""
    parts = text.split(" ")
    if with_verb:
        parts[-1] = re.sub(f"(?:等[{CN_DIGITS}\\d]*个?部门|(?:关于)?(?:联合)?(?:印发|转发)|关于)$", "", parts[-1])
    return len(text) <= 60 and all(_ORGAN_NAME.match(part) for part in parts)

TERMINAL = "。！？；：!?;:"
CLOSE_QUOTES = "”’」』）)"


def display_width(text: str) -> float:
    """Width in em as a PDF lays it out: CJK, full-width forms and CJK-font punctuation (“”—…) count 1."""
    return sum(1.0 if ord(ch) >= 0x2000 else 0.5 for ch in text)


def cn_to_int(token: str) -> int | None:
    """'十五' → 15, '二〇二四' → 2024, '15' → 15."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    digits = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
    if all(ch in digits for ch in token) and len(token) >= 2:  # 二〇二四: digit by digit
        return int("".join(str(digits[ch]) for ch in token))
    total, section, number = 0, 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in token:
        if ch in digits:
            number = digits[ch]
        elif ch in units:
            section += (number or 1) * units[ch]
            number = 0
        else:
            return None
    total += section + number
    return total


def parse_date(text: str) -> date | None:
    match = DATE.search(text)
    if not match:
        return None
    year, month, day = (cn_to_int(part) for part in match.groups())
    try:
        return date(year, month, day) if year and month and day else None
    except ValueError:
        return None


def normalise_doc_number(text: str) -> str | None:
    """'国市监注发〔2024〕10 号' / '自然资发[2023]166 号' / '国办发（2021）26号' → '…〔YYYY〕N号'."""
    match = DOC_NUMBER.search(text)
    if not match:
        return None
    agency, year, serial = match.groups()
    return f"{agency}〔{year}〕{int(serial)}号"


def doc_number_mentions(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    """Each 文号 in `text` (whitespace removed): where it ends, and the keys it may be, each with where it begins,
    the longest issuer first. The run before the number may hold more than the issuer: in '请问国办发〔2024〕7号' it
    is 请问国办发, 问国办发, 国办发 … A key is what every spelling of one number shares: '国办发〔2024〕7号' (from
    '国办发[2024]7号', '国办发2024年7号'), '民政部令第69号', '财政部税务总局公告〔2023〕7号' (from '…公告2023年第7号');
    a number with no issuer before it ('2021年第41号') has the key '〔2021〕41号'."""
    found = []
    for match in TYPED_DOC_NUMBER.finditer(text):
        if match.group(5):
            issuer, number = match.group(5), f"第{int(match.group(6))}号"
        else:
            issuer, number = match.group(1), f"〔{match.group(2) or match.group(3)}〕{int(match.group(4))}号"
        starts = [i for i in range(len(issuer)) if issuer[i] != "、"] or [len(issuer)]
        found.append((match.end(), [(match.start() + i, issuer[i:].replace("、", "") + number) for i in starts]))
    return found


def doc_number_key(text: str) -> str | None:
    """The key of the first 文号 in `text` (`doc_number_mentions`), which every spelling of it shares."""
    mentions = doc_number_mentions(re.sub(r"\s+", "", text))
    return mentions[0][1][0][1] if mentions else None


def ends_terminal(text: str) -> bool:
    stripped = text.rstrip(CLOSE_QUOTES)
    return bool(stripped) and stripped[-1] in TERMINAL


def heading_match(text: str) -> re.Match | None:
    for pattern in HEADINGS:
        match = pattern.match(text)
        if match:
            return match
    return None


def is_title_like(text: str) -> bool:
    """Ends like a title: a genre word, perhaps with "（试行）". One-character genres (法, 函) need more
    evidence, since "违法" ends many a sentence fragment; titles carry no commas."""
    match = TITLE_END.search(text)
    if not match or ends_terminal(text) or "，" in text or "。" in text:
        return False
    genre = TITLE_TAIL.sub("", match.group(0))
    return len(genre) >= 2 or "中华人民共和国" in text or "关于" in text
