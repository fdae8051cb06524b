"""The provision tree: one document's body lines → nested provisions with Akoma-Ntoso-style eIds.

Regulations number 编/章/节/条 (eIds part/chp/sec/art), split an article into 款 (para) and 项 (point) and 目
(item); 公文 number 一、/（一）/1./（1）/① (sec/item/sub/point/indent). Outline levels are not fixed in a 公文 —
a notice may start at （一） — so a label style nests under whatever is open when it first appears and closes
back to its own level when it appears again. A label whose number does not continue its list (a "2." that
starts a wrapped line, "1.5倍") is text, not a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from huiqi import patterns as P
from huiqi.clean import Line
from huiqi.layout import Layout, is_placeholder
from huiqi.records import Provision

_REGULATION_RANK = {"part": 0, "chapter": 1, "section": 2, "article": 3}
_STYLE_OF = {P.PART: "part", P.CHAPTER: "chapter", P.SECTION: "section", P.ARTICLE: "article",
             P.CN_ITEM: "cn", P.PAREN_CN_ITEM: "paren_cn", P.ARABIC_ITEM: "arabic",
             P.PAREN_ARABIC_ITEM: "paren_arabic", P.CIRCLED_ITEM: "circled"}
# eId prefix of a label style: inside an article the 项/目 of a regulation, elsewhere the 公文 outline.
_OUTLINE_PREFIX = {"cn": "sec", "paren_cn": "item", "arabic": "sub", "paren_arabic": "point", "circled": "indent"}
_IN_ARTICLE_PREFIX = {"paren_cn": "point", "arabic": "item", "paren_arabic": "item", "circled": "indent", "cn": "point"}
_KIND = {"part": "part", "chp": "chapter", "sec": "section", "art": "article", "item": "item", "sub": "sub",
         "point": "point", "indent": "indent"}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass
class _Node:
    style: str
    prefix: str  # eId prefix: chp, art, sec …
    number: int | None
    label: str  # as printed
    heading: str
    first: int
    last: int
    content: list = field(default_factory=list)  # paragraphs (Line) and child nodes, in order
    eid_number: str = ""

    @property
    def paragraphs(self) -> list[Line]:
        return [c for c in self.content if isinstance(c, Line)]


def build(layout: Layout, doc_title: str) -> list[Provision]:
    """All provisions of a document, in reading order (parents before children)."""
    lines = layout.lines
    out: list[Provision] = []
    if layout.order:
        order_lines = [line for line in lines[layout.order[0] + 1:layout.order[1]]
                       if not P.ORDER_NUMBER_LINE.match(line.text)]
        _leaf(out, "promulgation", "promulgation", "", "", order_lines, f"《{doc_title}》公布令")
    preamble, roots = _parse(lines[layout.body_start:layout.body_end])
    _leaf(out, "preamble", "preamble", "", "", preamble, f"《{doc_title}》")
    _emit(out, roots, "", f"《{doc_title}》", [], None, 0)
    if layout.attachment_list:
        a, b = layout.attachment_list
        _leaf(out, "attachment_list", "attachment_list", "", "", lines[a:b], f"《{doc_title}》附件说明")
    if layout.signature:
        a, b = layout.signature
        _leaf(out, "signature", "signature", "", "", lines[a:b], f"《{doc_title}》署名")
    for number, attachment in enumerate(layout.attachments, start=1):
        eid = f"att_{number}"
        name = doc_title if is_placeholder(attachment.title) else P.TITLE_TAIL.sub("", attachment.title).strip("《》")
        base = f"《{name}》"
        intro, children = _parse(lines[attachment.body_start:attachment.end])
        span = lines[attachment.start:attachment.end]
        out.append(Provision(eid=eid, kind="attachment", num=f"附件{number}", heading=attachment.title,
                             text="\n".join(line.text for line in intro), order=len(out),
                             first_line=span[0].first if span else 0, last_line=span[-1].last if span else 0,
                             citation=f"{base}" if name != doc_title else f"《{doc_title}》附件{number}",
                             parent=None, depth=0))
        _emit(out, children, eid + "__", base, [], eid, 1)
    for order, provision in enumerate(out):
        provision.order = order
    return out


def _leaf(out: list[Provision], eid: str, kind: str, num: str, heading: str, lines: list[Line],
          citation: str) -> None:
    if not lines:
        return
    out.append(Provision(eid=eid, kind=kind, num=num, heading=heading,
                         text="\n".join(line.text for line in lines), order=len(out),
                         first_line=lines[0].first, last_line=lines[-1].last, citation=citation))


def _parse(lines: list[Line]) -> tuple[list[Line], list[_Node]]:
    """Lines → (lines before the first heading, top-level nodes)."""
    preamble: list[Line] = []
    roots: list[_Node] = []
    stack: list[_Node] = []
    last_seen: dict[str, int] = {}  # '（四）' may continue the （一）–（三） of the previous 一、 section
    for line in lines:
        node = _heading(line, stack, last_seen)
        if node is None:
            if _closes_list(stack):
                while stack[-1].style != "article":
                    stack.pop()
            if stack:
                stack[-1].content.append(line)
                for open_node in stack:
                    open_node.last = line.last
            else:
                preamble.append(line)
            continue
        _place(node, stack, roots)
        last_seen[node.style] = node.number
    return preamble, roots


def _closes_list(stack: list[_Node]) -> bool:
    """Inside an article, the 项 of a list end in '；' and the last in '。': a paragraph after that last one is
    the article's next 款 ('（四）……的罚款。' then '事故发生单位有……'), not more of the 项."""
    if not stack or stack[-1].prefix not in ("point", "item", "indent"):
        return False
    if not any(node.style == "article" for node in stack):
        return False
    item = stack[-1]
    siblings = [n for n in stack[-2].content if isinstance(n, _Node) and n.style == item.style and n is not item]
    lines, previous = item.paragraphs, siblings[-1].paragraphs if siblings else []
    return bool(lines and lines[-1].text.endswith("。") and previous and previous[-1].text.endswith("；"))


def _heading(line: Line, stack: list[_Node], last_seen: dict[str, int]) -> _Node | None:
    text = line.text
    match = P.heading_match(text)
    if not match:
        return None
    style = next(s for pattern, s in _STYLE_OF.items() if pattern.match(text))
    number = _label_number(style, match)
    if not _continues_list(style, number, stack, last_seen.get(style)):
        return None
    rest = text[match.end():].strip()
    heading, body = _split_heading(style, rest, in_article=any(node.style == "article" for node in stack))
    node = _Node(style, "", number, match.group(0).strip(), heading, line.first, line.last)
    if style == "article" and match.group(2):  # 第十五条之一
        node.eid_number = f"{number}-{P.cn_to_int(match.group(2))}"
    if body:
        node.content.append(Line(body, line.first, line.last))
    return node


def _label_number(style: str, match: re.Match) -> int | None:
    token = match.group(1)
    if style == "circled":
        return _CIRCLED.index(token) + 1
    return P.cn_to_int(token)


def _continues_list(style: str, number: int | None, stack: list[_Node], last: int | None) -> bool:
    if number is None:
        return False
    if style in _REGULATION_RANK:
        return True
    same = [node for node in stack if node.style == style]
    if same:
        return number in (same[-1].number + 1, 1)
    return number == 1 or style == "cn" or (last is not None and number == last + 1)


def _split_heading(style: str, rest: str, in_article: bool) -> tuple[str, str]:
    """'总则' → heading only; '指导思想。以习近平…' → heading '指导思想', text all of it; '为了…。' → text. An
    article, and a 项 inside one, has no heading in its first sentence: '（四）法律、法规规定的其他情形。' is text."""
    if not rest:
        return "", ""
    if style in ("part", "chapter", "section"):
        return rest, ""
    if len(rest) <= 30 and not P.ends_terminal(rest) and not re.search("[，。；]", rest):
        return rest, ""
    if style == "article" or in_article:
        return "", rest
    if len(rest) <= 30 and rest.endswith("。") and not re.search("[，。；]", rest[:-1]):
        return rest[:-1], rest  # "（一）指导思想。" alone on its line
    first_sentence = re.match(r"^([^。；：，]{2,30})[。：]", rest)
    if first_sentence and first_sentence.end() < len(rest):
        return first_sentence.group(1), rest
    return "", rest


def _place(node: _Node, stack: list[_Node], roots: list[_Node]) -> None:
    if node.style in _REGULATION_RANK:
        rank = _REGULATION_RANK[node.style]
        while stack and not (stack[-1].style in _REGULATION_RANK and _REGULATION_RANK[stack[-1].style] < rank):
            stack.pop()
    else:
        same = [i for i, open_node in enumerate(stack) if open_node.style == node.style]
        if same and (node.number != 1 or stack[same[-1]].number != 1):
            del stack[same[-1]:]
    in_article = any(open_node.style == "article" for open_node in stack)
    node.prefix = {"part": "part", "chapter": "chp", "section": "sec", "article": "art"}.get(node.style) or (
        _IN_ARTICLE_PREFIX if in_article else _OUTLINE_PREFIX)[node.style]
    (stack[-1].content if stack else roots).append(node)
    for open_node in stack:
        open_node.last = max(open_node.last, node.last)
    stack.append(node)


def _emit(out: list[Provision], nodes: list[_Node], prefix: str, base: str, path: list[str],
          parent: str | None, depth: int) -> None:
    used: set[str] = set()
    for node in nodes:
        eid = _unique(f"{prefix}{node.prefix}_{node.eid_number or node.number}", used)
        label_path = _citation_path(path, node)
        paragraphs = node.paragraphs
        children = [c for c in node.content if isinstance(c, _Node)]
        split_paras = node.style == "article" and len(paragraphs) > 1
        out.append(Provision(eid=eid, kind=_KIND[node.prefix], num=node.label, heading=node.heading,
                             text="" if split_paras else "\n".join(p.text for p in paragraphs), order=len(out),
                             first_line=node.first, last_line=node.last,
                             citation=base + "".join(label_path), parent=parent, depth=depth))
        if split_paras:
            _emit_paragraphs(out, node, eid, base, label_path, depth + 1)
        else:
            _emit(out, children, eid + "__", base, label_path, eid, depth + 1)


def _emit_paragraphs(out: list[Provision], article: _Node, eid: str, base: str, path: list[str],
                     depth: int) -> None:
    """An article of several paragraphs: each 款 becomes para_N and owns the 项 that follow it."""
    groups: list[tuple[Line, list[_Node]]] = []
    for item in article.content:
        if isinstance(item, Line):
            groups.append((item, []))
        elif groups:
            groups[-1][1].append(item)
        else:
            groups.append((Line("", item.first, item.first), [item]))
    for number, (paragraph, children) in enumerate(groups, start=1):
        para_eid = f"{eid}__para_{number}"
        para_path = [*path, f"第{_cn(number)}款"]
        last = max([paragraph.last] + [child.last for child in children])
        out.append(Provision(eid=para_eid, kind="paragraph", num="", heading="", text=paragraph.text,
                             order=len(out), first_line=paragraph.first, last_line=last,
                             citation=base + "".join(para_path), parent=eid, depth=depth))
        _emit(out, children, para_eid + "__", base, para_path, para_eid, depth + 1)


def _citation_path(path: list[str], node: _Node) -> list[str]:
    if node.style == "article":
        return [node.label]  # 第十五条 is unique within a regulation; chapters are left out
    if node.prefix in ("point", "item") and any(p.startswith("第") and p.endswith(("条", "款")) for p in path):
        return [*path, f"第{node.label.strip('（）()')}项" if node.prefix == "point" else node.label]
    return [*path, node.label]


def _unique(eid: str, used: set[str]) -> str:
    candidate, suffix = eid, 2
    while candidate in used:
        candidate, suffix = f"{eid}-{suffix}", suffix + 1
    used.add(candidate)
    return candidate


def _cn(number: int) -> str:
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    if number < 20:
        return "十" + (digits[number % 10] if number % 10 else "")
    return digits[number // 10] + "十" + (digits[number % 10] if number % 10 else "")
