"""Metadata of one document, read off its layout: 标题, 发文字号, 发文机关, 成文日期, genre, level and region,
effective dates, attachments. Each value comes from the place GB/T 9704 puts it, with fallbacks in a fixed
order; whenever a fallback or a guess is used the document gets a warning saying so."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from huiqi import organs, regions
from huiqi import patterns as P
from huiqi.layout import Layout, is_placeholder
from huiqi.split import DocumentSpan, norm_title

_DATE = P.DATE.pattern
# "本办法自2024年7月1日起施行" — but not a cited policy's date: "（财税〔2019〕13号）自2019年1月1日起实施的政策"
# (right after a citation's closing bracket, or a relative clause ending in 的).
_FROM = (re.compile(rf"(?<![）》)])自\s*({_DATE})\s*起(?:施行|实施|执行|生效)(?!的)"),
         re.compile(rf"(?<![）》)自])({_DATE})\s*起(?:施行|实施|执行|生效)(?!的)"))
_FROM_ISSUE = re.compile(r"(?<![）》)])自(?:印发|发布|公布|下发)之日起(?:施行|实施|执行|生效)(?!的)")
_TO = (re.compile(rf"有效期(?:至|到|截至)\s*({_DATE})"),
       re.compile(rf"(?:执行|实施|施行)(?:期限|期)?(?:延长)?(?:至|到)\s*({_DATE})"),
       re.compile(rf"延长至\s*({_DATE})"))
_OWN_TERM = re.compile(rf"(?:本(?:{'|'.join(P.GENRES)})|施行|实施|执行)[^。；]*$")
_RANGE = re.compile(rf"(?:执行|实施|有效)期(?:限)?为?\s*({_DATE})\s*(?:至|到|—|－|-|~|～)\s*({_DATE})")
# The document's own term ('本办法有效期为5年', '…起施行，有效期五年'), not a licence's or a 认定's it sets
# ('认定有效期为3年', '安全生产许可证的有效期为3年').
_YEARS = re.compile(rf"(?:本[{P.CJK}]{{0,4}}?(?:{'|'.join(P.GENRES)})|施行|实施|执行)[，,]?\s*"
                    rf"有效期(?:为)?\s*({P.CN_NUM}|\d+)\s*年")
_TITLE_PERIOD = re.compile(r"(\d{4})\s*(?:年)?\s*[—\-–－~～至]\s*(\d{4})\s*年")
_LEAD_ONLY = re.compile(rf"等[{P.CN_DIGITS}\d]*个?部门$|等$")
_PAREN_ISSUER = re.compile(
    rf"{_DATE}\s*(?:经|由)?\s*(?:第[{P.CN_DIGITS}\d]+届)?([\u4e00-\u9fff、]{{2,40}}?)"
    rf"(?:第\s*[{P.CN_DIGITS}\d]+\s*(?:次|号令)|令第|部务会议|常务会议|会议|审议|印发|发布|公布|通过)")
# What may follow an organ's name in an event line: its body that adopted the text, or the 公告 that published it
# ('最高人民检察院第十二届检察委员会第十次会议通过', '最高人民法院公告公布').
_SUB_BODY = re.compile(rf"(?:第[{P.CN_DIGITS}\d]+届)?(?:审判委员会|检察委员会|党组)$|公告$")
# An organ named without a place that is a 部, 总局 or 总署 is a central one, though gone or renamed since (卫生部,
# 对外经济贸易部): a local department is a 厅, 局 or 委, and a local party committee's 部 names its place (省委组织部).
_MINISTRY = re.compile(r"(?!省|市|县|区|自治区)[^委]{1,12}(?:部|总局|总署)")


@dataclass
class Metadata:
    title: str
    doc_number: str | None
    issuers: list[str]
    date: date | None
    genre: str | None
    effective_from: date | None
    effective_to: date | None
    attachments: list[str]
    region: regions.Region | None = None
    region_hint: str | None = None  # '省', '市', '县' for a bare '省财政厅'; '?' for an organ naming no place
    warnings: list[str] = field(default_factory=list)


def extract(layout: Layout, span: DocumentSpan, named: date | None = None) -> Metadata:
    """`named`: the date the file's name gives, taken when the text prints none (it starts 自公布之日起施行 too)."""
    warnings: list[str] = []
    title = _title(layout, span, warnings)
    issuers = _issuers(layout, title, warnings)
    events = _header_events(layout)
    doc_number = _doc_number(layout)
    issued = _date(layout, events, warnings) or _named_date(named, doc_number, warnings)
    effective_from, effective_to = _effective(layout, title, events, issued)
    meta = Metadata(title=title, doc_number=doc_number, issuers=issuers, date=issued,
                    genre=genre_of(title), effective_from=effective_from, effective_to=effective_to,
                    attachments=_attachments(layout, title), warnings=warnings)
    _region(meta, title)
    return meta


def _title(layout: Layout, span: DocumentSpan, warnings: list[str]) -> str:
    title = layout.title
    if not title and span.toc_title:
        warnings.append("title not found in the body; taken from the table of contents")
        return span.toc_title
    if not title:
        first = layout.lines[layout.body_start if layout.body_start < len(layout.lines) else 0].text
        warnings.append("no title found; the first line stands in for it")
        return first[:60]
    if span.toc_title and norm_title(title) != norm_title(span.toc_title):
        warnings.append(f"the table of contents gives the title as 「{span.toc_title}」")
    return title


def genre_of(title: str) -> str | None:
    core = title
    while P.TITLE_TAIL.search(core):
        core = P.TITLE_TAIL.sub("", core)
    for genre in P.GENRES:
        if core.endswith(genre):
            return P.GENRE_ROOT.get(genre, genre)
    return None


def _named_date(named: date | None, doc_number: str | None, warnings: list[str]) -> date | None:
    """A text that prints no date takes the one its file's name gives (the day the publisher dates it, 公布 for a
    law) rather than none: undated, it would pass every date filter and start no version. Not where its 文号 names
    another year, for a 文号's year is the year of issue."""
    if named is None:
        return None
    year = re.search(r"〔(\d{4})〕", P.doc_number_key(doc_number or "") or "")
    if year and int(year.group(1)) != named.year:
        return None
    warnings.append(f"date {named} taken from the file name: none was read from the text")
    return named


def _doc_number(layout: Layout) -> str | None:
    lines = layout.lines
    if layout.order:
        header = lines[0].text
        organ = re.sub(r"^中华人民共和国|令(?:\s*第\s*\d+\s*号)?$", "", header)
        number = re.search(r"第\s*(\d+)\s*号", " ".join(line.text for line in lines[0:2]))
        if number:
            return f"{organ}令第{number.group(1)}号"
    for index in layout.header:
        text = lines[index].text
        if P.DOC_NUMBER_LINE.match(text):
            return P.normalise_doc_number(text)
        if P.NOTICE_NUMBER_LINE.match(text):
            return re.sub(r"[\s（）()]", "", text)
        order = P.ORDER_IN_TEXT.search(text)
        if order:
            organ = re.sub(r"^.*?日|^(?:经|由)?中华人民共和国", "", order.group(1)).strip()
            return f"{re.sub(r'^中华人民共和国', '', organ)}第{order.group(2)}号"
    for line in lines[layout.body_start:layout.body_start + 6]:  # a 文号 printed again under a repeated title
        if P.ends_terminal(line.text):
            break
        if P.DOC_NUMBER_LINE.match(line.text):
            return P.normalise_doc_number(line.text)
    return None


def _issuers(layout: Layout, title: str, warnings: list[str]) -> list[str]:
    lines = layout.lines
    if layout.signature:
        a, b = layout.signature
        names = [name for line in lines[a:b] if P.is_organ_line(line.text) for name in _split_names(line.text)]
        if names:
            return names
    if layout.order:
        organ = re.sub(r"^中华人民共和国|令(?:\s*第\s*\d+\s*号)?$", "", lines[0].text)
        if organ:
            return [organ]
    from_title = _title_issuers(title)
    for index in layout.header:
        match = _PAREN_ISSUER.search(lines[index].text)
        if match:
            names = _split_names(_SUB_BODY.sub("", match.group(4)).replace("、", " "))
            # '最高人民法院、最高人民检察院关于…' names both; the line under it only the first to adopt it
            return from_title if from_title and set(names) < set(from_title) else names
    if from_title and _LEAD_ONLY.search(re.split(r"关于", title, maxsplit=1)[0]):
        warnings.append("the title names only the lead issuer (…等部门) and no signature lists the others")
    return from_title


def _title_issuers(title: str) -> list[str]:
    head = re.split(r"关于|(?:联合)?印发|转发", title, maxsplit=1)[0].strip()
    if not head or head == title:
        return []
    names = _split_names(_LEAD_ONLY.sub("", head).replace("、", " "))
    if names and all(organs.is_central(n) or regions.locate(n) or P.ORGAN_SUFFIX.search(n) for n in names):
        return names
    return []


def _split_names(text: str) -> list[str]:
    """Organ names separated by spaces, or run together ('国家发展改革委国家能源局', '中共江苏省委江苏省人民政府')."""
    names: list[str] = []
    for name in organs.split_organs(text):
        names.extend(_split_local(name))
    return [name for name in names if name]


def _split_local(name: str) -> list[str]:
    after_organ = r"(?<=[委厅局府部办会])(?=(?:中共)?[\u4e00-\u9fff]{2,4}?[省市县区])"
    places = [m.start() for m in re.finditer(after_organ, name)]
    parts, last = [], 0
    for cut in places:
        if regions.locate(name[cut:cut + 8]) and not organs.is_central(name[last:cut]):  # not a branch
            parts.append(name[last:cut])
            last = cut
    parts.append(name[last:])
    return parts


def _date(layout: Layout, events: list[tuple[date, str]], warnings: list[str]) -> date | None:
    lines = layout.lines
    if layout.closing_date is not None:
        found = P.parse_date(lines[layout.closing_date].text)
        if found:
            return found
    # The day the text was adopted or issued, its latest version's where it was revised (公司法 2023, not 1993), as
    # the official database dates a version: not the day it takes effect, nor an approval ('1989年2月10日 国务院批准')
    # where the day it was issued is given too.
    for kind in (_ISSUED, _APPROVED):
        issued = [day for day, event in events if kind.search(event) and not _TAKES_EFFECT.search(event)]
        if issued:
            return max(issued)
    if events:  # a date line with no event named
        return events[0][0]
    if layout.order:
        for line in lines[layout.order[0]:layout.order[1]]:
            if P.DATE_LINE.match(line.text):
                return P.parse_date(line.text)
    warnings.append("no 成文日期 found")
    return None


_ANY_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# What happened on a date, read from the words after it up to the next date or comma
_TAKES_EFFECT = re.compile(r"^[^，,]*(?:施行|实施|执行|生效)")
_ISSUED = re.compile(r"^[^，,]*(?:通过|公布|发布|印发|修正|修订|修改|次会议)")
_APPROVED = re.compile(r"^[^，,]*批准")
_REVISED = re.compile(r"^[^，,]*(?:修正|修订|修改)")


def _header_events(layout: Layout) -> list[tuple[date, str]]:
    """Each date printed with the title, with what happened on it: the words up to the next date ('1998年12月27日…
    发布 根据2011年1月8日…第一次修订'). A date without its year takes the year of the date before it ('2024年1月4日…
    通过，1月8日公布')."""
    events: list[tuple[date, str]] = []
    for index in layout.header:
        text = layout.lines[index].text
        matches = list(_ANY_DATE.finditer(text))
        year = None
        for number, match in enumerate(matches):
            year = int(match.group(1)) if match.group(1) else year
            if year is None:
                continue
            try:
                day = date(year, int(match.group(2)), int(match.group(3)))
            except ValueError:
                continue
            stop = matches[number + 1].start() if number + 1 < len(matches) else len(text)
            # what a decision it names is called says nothing of what happened: '《…专利法实施细则〉的决定》第二次修订'
            events.append((day, re.sub(r"《[^》]*》", "", text[match.end():stop]).strip()))
    return events


def _revised(events: list[tuple[date, str]]) -> bool:
    """The text is a revision: its header tells of a 修正 or 修订, or of its adoption twice."""
    return (any(_REVISED.search(event) for _, event in events)
            or sum("通过" in event for _, event in events) > 1)


def _effective(layout: Layout, title: str, events: list[tuple[date, str]],
               issued: date | None) -> tuple[date | None, date | None]:
    """What a revised text says of when it takes effect (本法自2006年1月1日起施行, 本法自公布之日起施行) was said of
    its first version: when this version took effect it does not say, unless a line printed with its title does
    ('2024年1月1日 施行' after its last revision)."""
    text = "\n".join(line.text for line in layout.lines[layout.body_start:])
    revised = _revised(events)
    printed = max((day for day, event in events if _TAKES_EFFECT.search(event)), default=None)
    start = end = None
    span = _RANGE.search(text)
    if span:
        start, end = P.parse_date(span.group(1)), P.parse_date(span.group(5))
    for pattern in _FROM:
        match = pattern.search(text)
        if match and start is None:
            start = P.parse_date(match.group(1))
    if start is None and _FROM_ISSUE.search(text):
        start = issued
    if printed and not (revised and issued and printed < issued):  # not the first version's, listed in its history
        start = printed
    elif revised and start and issued and start <= issued:
        start = None
    # The document's own end: said of the document (本通知…有效期至, …施行，有效期至) before one said of a measure
    # it sets (上述承诺政策有效期至…)
    ends = [match for pattern in _TO for match in pattern.finditer(text)]
    own = [match for match in ends if _OWN_TERM.search(text[max(0, match.start() - 40):match.start()])]
    if ends and end is None:
        end = P.parse_date(min(own or ends, key=lambda match: match.start()).group(1))
    years = _YEARS.search(text)
    if end is None and years and start:
        count = P.cn_to_int(years.group(1)) or 0
        end = _add_years(start, count) - timedelta(days=1) if count else None
    period = _TITLE_PERIOD.search(title)
    if period:
        first, last = int(period.group(1)), int(period.group(2))
        if first <= last <= first + 20:
            start = start or date(first, 1, 1)
            end = end or date(last, 12, 31)
    return start, end


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _attachments(layout: Layout, title: str) -> list[str]:
    names: list[str] = []
    if layout.attachment_list:
        a, b = layout.attachment_list
        for line in layout.lines[a:b]:
            marker = P.attachment_marker(line.text)
            text = marker[1] if marker else line.text
            names.extend(part for part in re.split(r"\s*(?:\d{1,2}[.．、]|[（(]\d{1,2}[）)])\s*", text) if part)
    names.extend(attachment.title for attachment in layout.attachments if not is_placeholder(attachment.title))
    cleaned: list[str] = []
    for name in names:
        name = re.sub(r"[（(]略[）)]$|\.(?:docx?|pdf|xlsx?|wps)$", "", name.strip(" ：:")).strip("《》")
        if len(name) >= 2 and _core(name) not in {_core(c) for c in cleaned}:
            cleaned.append(name)
    return cleaned


def _core(name: str) -> str:
    return norm_title(P.TITLE_TAIL.sub("", name))


def _region(meta: Metadata, title: str) -> None:
    """Level and region follow the lead issuer: the place its name names ('国家税务总局漯河市税务局' is in
    漯河), else national for a central organ; a bare '省财政厅' leaves it to the compilation (region_hint)."""
    candidates = meta.issuers or [re.split(r"关于", title, maxsplit=1)[0]]
    for name in candidates:
        found = regions.locate(name)
        if found:
            meta.region = found
            return
        if (organs.starts_central(name) or name.startswith(("中共中央", "国务院", "全国", "国家", "中国", "中华"))
                or (name in meta.issuers and _MINISTRY.fullmatch(name))):
            meta.region = regions.NATIONAL
            return
    bare = next((name[0] for name in [*candidates, title] if name[:1] in ("省", "市", "县", "区")), None)
    meta.region_hint = bare or "?"
