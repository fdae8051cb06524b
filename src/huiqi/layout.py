"""Layout: where, inside one document's lines, the GB/T 9704 elements sit.

标题 and the lines printed under it (发文字号, a bracketed date, 公告 number), the 令 header of a regulation, the
正文, the 附件说明, the 署名 + 成文日期 block, and the attachments printed after it. Metadata and the provision
tree both read this map, so they agree on where the body ends and an attachment begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from huiqi import patterns as P
from huiqi.clean import Line
from huiqi.split import DocumentSpan, attachment_names, is_closing_note, norm_title

_SIGNER = re.compile(r"^(?:总理|国务院总理|部长|主任|署长|局长|行长|主席|省长|市长|县长|区长)\s*[\u4e00-\u9fff]{2,4}$")
_LIST_ITEM = re.compile(r"^(?:\d{1,2}|[（(]\d{1,2}[）)])[.．、]?\s*\S")


@dataclass
class Attachment:
    title: str
    start: int  # index of its first line (the 附件 marker or its title)
    end: int  # exclusive
    body_start: int  # first line after its title


@dataclass
class Layout:
    lines: list[Line]
    title: str | None
    title_range: tuple[int, int]  # [start, end) indices of the title block; (0, 0) when none
    header: list[int] = field(default_factory=list)  # 文号 / date / 公告号 lines printed with the title
    order: tuple[int, int] | None = None  # the 令 part: header, 第N号, 公布 sentence, signer, date
    body_start: int = 0
    body_end: int = 0  # exclusive: where the 附件说明, 署名 or attachments begin
    attachment_list: tuple[int, int] | None = None
    signature: tuple[int, int] | None = None  # 署名 + 成文日期 (+ 此件公开发布)
    closing_date: int | None = None
    attachments: list[Attachment] = field(default_factory=list)

    def text(self, start: int, end: int) -> list[str]:
        return [line.text for line in self.lines[start:end]]


def analyse(span: DocumentSpan) -> Layout:
    lines = span.lines
    layout = _order_layout(lines) if span.kind == "order" else _title_layout(span)
    _find_closing(layout)
    _find_attachments(layout)
    _find_attachment_list(layout)
    return layout


def _order_layout(lines: list[Line]) -> Layout:
    """令 header, 第N号, 公布 sentence, signer, date, then the regulation's own title and text."""
    index = 1
    while index < len(lines) and index < 8 and not P.DATE_LINE.match(lines[index].text):
        index += 1
    order_end = index + 1 if index < len(lines) and P.DATE_LINE.match(lines[index].text) else 1
    title_at = next((i for i in range(order_end, min(order_end + 3, len(lines)))
                     if P.is_title_like(lines[i].text)), None)
    if title_at is None:
        quoted = re.search(r"《([^》]+)》", " ".join(line.text for line in lines[:order_end]))
        title = quoted.group(1) if quoted else None
        layout = Layout(lines, title, (0, 0), order=(0, order_end), body_start=order_end)
    else:
        layout = Layout(lines, lines[title_at].text, (title_at, title_at + 1), order=(0, order_end))
        layout.body_start = _skip_header(layout, title_at + 1)
    return layout


def _title_layout(span: DocumentSpan) -> Layout:
    lines = span.lines
    positions = [i for i, line in enumerate(lines) if any(line is t for t in span.title_lines)]
    if positions:
        first, last = positions[0], positions[-1] + 1
        title = join_title([line.text for line in span.title_lines])
    elif _events_follow(lines, 1):  # a title the splitter did not know as one ('…的安排'), over a law's event lines
        first, last, title = 0, 1, lines[0].text
    else:
        first = last = 0
        title = None
    layout = Layout(lines, title, (first, last))
    layout.header = [i for i in range(first) if not P.CATEGORY_LINE.match(lines[i].text)]  # 文号 above the title
    layout.body_start = _skip_header(layout, last)
    return layout


def _events_follow(lines: list[Line], index: int) -> int | None:
    """Where a law's event lines begin, at `index` or after a subtitle or a title printed again ('# 合同编')."""
    return next((at for at in range(index, min(index + 3, len(lines))) if P.is_event_line(lines[at].text)), None)


def _skip_header(layout: Layout, index: int) -> int:
    lines = layout.lines
    if index < len(lines) and not _is_header_line(lines[index].text, 0):
        index = _events_follow(lines, index) or index  # a subtitle, or the title printed again, over event lines
    while index < len(lines) and _is_header_line(lines[index].text, len(layout.header)):
        layout.header.append(index)
        index += 1
    return index


def _is_header_line(text: str, so_far: int) -> bool:
    """A law's event lines, however many (刑法 has 13); of the other kinds a few."""
    return P.is_event_line(text) or (so_far < 6 and bool(
        P.DOC_NUMBER_LINE.match(text) or P.NOTICE_NUMBER_LINE.match(text) or P.DATE_LINE.match(text)
        or P.PAREN_DATE_LINE.match(text) or P.ORDER_NUMBER_LINE.match(text)
        or re.match(r"^[（(][^（）()]{1,24}[）)]$", text)))


def join_title(parts: list[str]) -> str:
    """Title lines → one line. A break between two organ names is a space ('中共中央 国务院'); any other
    break joins directly."""
    title = parts[0] if parts else ""
    for part in parts[1:]:
        organ_break = P.is_organ_line(title.split(" ")[-1], with_verb=False) and not part.startswith(
            ("关于", "《", "联合", "印发"))
        title += (" " if organ_break else "") + part
    return title.strip()


def _find_closing(layout: Layout) -> None:
    """The main text's 署名 + 成文日期: the first date line after the body that sits under organ names or
    a signer, or that nothing but notes and attachments follow."""
    lines = layout.lines
    layout.body_end = len(lines)
    for index in range(max(layout.body_start, 1), len(lines)):
        text = lines[index].text
        if not P.DATE_LINE.match(text):
            continue
        previous = lines[index - 1].text
        after = lines[index + 1].text if index + 1 < len(lines) else ""
        signed = P.is_organ_line(previous) or bool(_SIGNER.match(previous))
        if not (signed or index + 1 == len(lines) or is_closing_note(after)
                or P.attachment_marker(after)):
            continue
        start = index
        while start - 1 >= layout.body_start and index - start < 16 and (
                P.is_organ_line(lines[start - 1].text) or _SIGNER.match(lines[start - 1].text)):
            start -= 1
        end = index + 1
        while end < len(lines) and is_closing_note(lines[end].text):
            end += 1
        layout.signature, layout.closing_date, layout.body_end = (start, end), index, start
        break


def _find_attachment_list(layout: Layout) -> None:
    """附件说明: '附件：1.…' and the numbered lines under it, the last thing before the 署名 (or before the
    attachments). A 附件 line with text after it is body text, and stays in the body."""
    lines = layout.lines
    end = layout.body_end
    index = end - 1
    while index > layout.body_start and _list_item(lines[index].text):
        index -= 1
    if index >= layout.body_start and index < end and P.attachment_marker(lines[index].text) is not None:
        layout.attachment_list = (index, end)
        layout.body_end = index


def _list_item(text: str) -> bool:
    return bool(_LIST_ITEM.match(text)) and len(text) < 80 and not P.ends_terminal(text)


def _find_attachments(layout: Layout) -> None:
    lines = layout.lines
    own_title = norm_title(layout.title or "")
    names = attachment_names(own_title, layout.text(layout.body_start, len(lines)))
    start = layout.signature[1] if layout.signature else None
    if start is None:
        # No 署名: an attachment may still follow the text, announced by its title (印发《X》).
        start = next((i for i in range(layout.body_start + 1, len(lines))
                      if _starts_attachment(lines, i, names, own_title)), None)
        if start is None:
            return
        layout.body_end = min(layout.body_end, start)
    if start >= len(lines):
        return
    found: list[tuple[int, str, int]] = []  # (mark, title, body start)
    index = start
    while index < len(lines):
        text = lines[index].text
        is_mark = P.attachment_marker(text) is not None or index == start or (
            _names_attachment(text, names, own_title))
        if is_mark:
            title, body_start = _attachment_title(lines, index, names)
            found.append((index, title, body_start))
            index = max(body_start, index + 1)
        else:
            index += 1
    for number, (mark, title, body_start) in enumerate(found):
        end = found[number + 1][0] if number + 1 < len(found) else len(lines)
        layout.attachments.append(Attachment(title, mark, end, min(body_start, end)))


def _starts_attachment(lines: list[Line], index: int, names: list[str], own_title: str) -> bool:
    """With no 署名 to end the text: a bare '附件1' line above a title, or a title the document announced."""
    marker = P.attachment_marker(lines[index].text)
    if marker is not None:
        return not marker[1] and index + 1 < len(lines) and _title_part(lines[index + 1].text)
    return _names_attachment(lines[index].text, names, own_title)


def _names_attachment(text: str, names: list[str], own_title: str) -> bool:
    if not P.is_title_like(text) and not re.search(r"(?:表|书|单|录|图)$", text):
        return False
    core = norm_title(P.TITLE_TAIL.sub("", text))
    return bool(core) and (any(core in name or name in core for name in names if name)
                           or (core in own_title and core != own_title))


def _attachment_title(lines: list[Line], mark: int, names: list[str]) -> tuple[str, int]:
    """An attachment's title (after '附件1', on the same line or the next ones) and where its text starts."""
    marker = P.attachment_marker(lines[mark].text)
    if marker and marker[1]:
        return marker[1], mark + 1
    first = mark + 1 if marker else mark
    end = first
    while end < len(lines) and end - first < 3 and _title_part(lines[end].text):
        end += 1
        if P.is_title_like(lines[end - 1].text) or re.search(r"(?:表|书|单|录|图)$", lines[end - 1].text):
            break
    while end < len(lines) and re.match(r"^[（(][^（）()]{1,24}[）)]$", lines[end].text):
        end += 1  # "（2021-2023 年）" under the title
    if end > first:
        return "".join(line.text for line in lines[first:end]), end
    return (f"附件{marker[0]}" if marker else "附件"), first


def _title_part(text: str) -> bool:
    return (len(text) <= 40 and not P.ends_terminal(text) and "，" not in text and " | " not in text
            and P.heading_match(text) is None)


def is_placeholder(title: str) -> bool:
    """'附件', '附件2': what an attachment is called when its own title was not found."""
    return bool(re.fullmatch(r"附件\d*", title))
