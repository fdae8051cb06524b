"""The texts a document says it repeals, read from its provisions (DESIGN's *repeals* relation; the links are made
in huiqi.versions).

A repeal names the texts it ends in a list of titles, each with its 文号 where one is given. It closes a text
('1993年…发布的《中华人民共和国增值税暂行条例》同时废止', '原《A》（苏府规〔2019〕3号）、《B》，同时废止',
'《A》自本通知印发之日起不再执行') or decides one ('决定废止原…印发的《A》', '国务院决定废止下列行政法规：' over
numbered items). No repeal of a whole text:
- '《A》中关于…的规定同时废止', '《A》（第三条）同时废止': part of A;
- '根据《立法法》和《甲条例》，…': texts cited;
- '鉴于《A》废止，…', '应当对《A》予以废止': a repeal spoken of;
- '《实施细则》': no one text;
- '将第三十条修改为：“…同时废止。”': a clause quoted from another text.

The text is read by finding every title once and walking along the lists, never with one pattern of repeated
optional parts (those take exponential time on a long list of titles), so the time is linear in the text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from huiqi import patterns as P
from huiqi.versions import Repeal, text_key

_NOTE = r"[（(](?:[^（）()《》]|[（(][^（）()《》]{0,12}[）)]){1,40}[）)]"  # '(苏府规（2019）3号)' too
_TITLE = re.compile(rf"《((?:[^《》]|《[^《》]{{0,60}}》){{2,120}})》[^\S\n]*({_NOTE})?")
_PARTIAL = re.compile(r"第[^）)]{1,12}[条款项章节]|附件|部分")  # a note naming part of the text
# Between two titles of one list: a joiner, then at most what says when and by whom the next was issued
_NUMBER = r"(?:\d{1,3}|[一二三四五六七八九十]{1,3})"
_LABEL = rf"(?:{_NUMBER}[、.．]|[（(]{_NUMBER}[）)])"  # 一、 2. （三）
_ISSUED = r"[^《》。；]{0,60}?(?:发布|印发|公布|颁布|制定|通过|批准|下发)的"
_JOINED = re.compile(rf"\s*(?:(?:[、，,；;]|以及|和|及|与)\s*(?:原|{_ISSUED})?)?\s*{_LABEL}?\s*原?")
_GAP_CHARS = 90  # no list has titles (or a title and its verb) further apart: what is looked at stays bounded
# Closing: the verb, and what may stand between it and the last title ('，', '等文件', '及其实施细则', '自…起')
_VERB = re.compile(r"(?:(?:同时|即行|予以)?废止|(?:同时)?(?:不再|停止)执行|同时失效)(?=[。；，,\s]|$)")
_BEFORE_VERB = re.compile(r"[，,]?\s*(?:及其[^《》。；，]{1,10}|等[^《》。；，]{0,8})?\s*[，,]?\s*(?:都|均|也)?\s*"
                          r"(?:自[^《》。；，]{2,20}起\s*)?$")
_VERB_REACH = 50
# Deciding: the titles follow; over several provisions when the deciding one ends with a colon
_DECIDING = re.compile(r"决定(?:予以)?废止[^《》。；，：:]{0,20}[：:]?"
                       r"|(?:下列|以下)[^《》。；，]{0,12}(?:同时|予以)?废止[：:]"
                       r"|(?:同时|予以)?废止(?:下列|以下)[^《》。；，]{0,12}[：:]")
_ITEM = re.compile(rf"\s*{_LABEL}?\s*原?{_TITLE.pattern}\s*[；;。]?\s*")
_LIST_END = re.compile(r"\s*(?:等[^《》。；]{0,12})?\s*(?:[。；;]|$)")  # '决定废止《A》、《B》等2件文件。'
_SPOKEN_OF = re.compile(r"根据|依据|依照|按照|参照|对照|贯彻|落实|遵照|鉴于|随着|应当|不得|可以")
_LEAD_CHARS = 30
_QUOTED = re.compile(r"“[^“”]{0,500}?[。；][^“”]{0,500}?”")  # a sentence quoted from another text
_GENERIC = re.compile(r"(?:实施|管理|暂行|试行|若干|有关|具体|问题|的)*"
                      r"(?:条例|办法|规定|细则|规则|意见|通知|决定|解释|方案|措施)?")  # '《实施细则》': no one text
REPEAL_WORDS = ("废止", "不再执行", "停止执行", "失效")  # a provision that repeals says one of them


def repeals(texts: Iterable[str]) -> list[Repeal]:
    """The texts a document's provisions (in reading order) say it repeals, each once."""
    texts = list(texts)
    if not any(word in text for text in texts for word in REPEAL_WORDS):
        return []  # most documents: no verb or decision below can match
    found: dict[Repeal, None] = {}
    following = False  # the provision before decided '废止下列…：' and these are its items
    for raw in texts:
        text = _QUOTED.sub(lambda quote: "□" * len(quote.group()), raw)
        item = _ITEM.fullmatch(text) if following else None
        if item is not None:
            found.update(dict.fromkeys(_repeals(text, [item])))
            continue
        titles = list(_TITLE.finditer(text))
        found.update(dict.fromkeys(_repeals(text, [*_closing(text, titles), *_deciding(text, titles)])))
        end = len(text.rstrip())
        following = any(decision.end() == end and text[end - 1] in "：:" for decision in _DECIDING.finditer(text))
    return list(found)


def _closing(text: str, titles: list[re.Match]) -> list[re.Match]:
    """The titles listed right before each closing verb."""
    ends = [title.end() for title in titles]
    listed: list[re.Match] = []
    for verb in _VERB.finditer(text):
        list_end = _BEFORE_VERB.search(text, max(0, verb.start() - _VERB_REACH), verb.start()).start()
        last = bisect.bisect_right(ends, list_end) - 1
        if last >= 0 and list_end - ends[last] <= _GAP_CHARS and not text[ends[last]:list_end].strip():
            listed += _walk(text, titles, last, step=-1)
    return listed


def _deciding(text: str, titles: list[re.Match]) -> list[re.Match]:
    """The titles a decision to repeal lists, all of them or none (the list must end its sentence)."""
    starts = [title.start() for title in titles]
    listed: list[re.Match] = []
    for decision in _DECIDING.finditer(text):
        first = bisect.bisect_left(starts, decision.end())
        if (first == len(titles) or starts[first] - decision.end() > _GAP_CHARS
                or not _JOINED.fullmatch(text[decision.end():starts[first]])):
            continue
        walked = _walk(text, titles, first, step=1)
        if walked and _LIST_END.match(text, walked[-1].end()):
            listed += walked
    return listed


def _walk(text: str, titles: list[re.Match], at: int, step: int) -> list[re.Match]:
    """The titles, in reading order, of the list that `titles[at]` ends (step -1) or begins (step 1). Titles cited
    as a ground ('根据《A》和《B》，') end the walk, and those joined to them without a comma go with them."""
    listed: list[re.Match] = []
    group: list[re.Match] = []
    while 0 <= at < len(titles):
        title = titles[at]
        lead = re.split(r"[，,。；\n]", text[max(0, title.start() - _LEAD_CHARS):title.start()])[-1]
        if _SPOKEN_OF.search(lead) or (title.group(2) and _PARTIAL.search(title.group(2))):
            return listed[::-1] if step < 0 else []
        group.append(title)
        following = at + step
        if not 0 <= following < len(titles):
            break
        left, right = (titles[following], title) if step < 0 else (title, titles[following])
        gap = text[left.end():right.start()]
        if len(gap) > _GAP_CHARS or not _JOINED.fullmatch(gap):
            break
        if re.search(r"[，,；;]", gap):  # a comma closes what a title cited as a ground was joined to
            listed, group = listed + group, []
        at = following
    listed += group
    return listed[::-1] if step < 0 else listed


def _issuer_before(text: str, start: int) -> str:
    """The organs named right before a title that begins with 关于 ('最高人民法院、最高人民检察院《关于办理…的解释》'):
    the text's title begins with them."""
    before = re.split(r"[，,。；：:\n的]|发布|印发", text[max(0, start - _LEAD_CHARS):start])[-1].removeprefix("原")
    names = [name for name in re.split(r"[、\s]+", before) if name]
    return before if names and all(P.is_organ_line(name, with_verb=False) for name in names) else ""


def _repeals(text: str, titles: Iterable[re.Match]) -> list[Repeal]:
    found = []
    for title in titles:
        name, note = title.group(1), title.group(2)
        named = text_key(_issuer_before(text, title.start()) + name if name.startswith("关于") else name)
        if not _GENERIC.fullmatch(named):
            found.append(Repeal(named, P.doc_number_key(note) if note else None))
    return found
