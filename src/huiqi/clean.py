"""Cleaning: raw lines of extracted text → logical lines, each keeping the span of original lines it came from.

What PDF extraction does to a 公文, and what we undo here:
- a blank line after every text line, bare page-number lines (some in the middle of a sentence), URL lines;
- hard line wraps at the page width, so one sentence spans several lines (joined back: see `_continues`);
- spaces inside CJK text ("2023 年 7月 5日", "生 态 环 境 部") and a character repeated across a wrap
  ("贯彻 彻落实");
- U+2003/U+3000 indents, full-width digits, half-width brackets around Chinese text;
- markdown leftovers from converters: "- " bullets, **bold**, <autolinks>, | tables |.
Titles split over two or three lines are left as separate lines: only the splitter knows it is in a title.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import rjieba

from huiqi import patterns as P
from huiqi.read import CONTROL_CHARACTERS

_SPACES = {ord(ch): " " for ch in "\u3000\u2003\u2002\u2009\u00a0\u2007\u202f\t"}
_SPACES.update({ord(ch): None for ch in "\u200b\ufeff\f\u2935\u21b5\u23ce"})  # zero-width, ⤵ ↵ ⏎ marks
_FULLWIDTH_ALNUM = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF5B) if chr(code).isalnum()}
_FULLWIDTH_ALNUM.update({ord("．"): ".", ord("﹝"): "〔", ord("﹞"): "〕"})

_PAGE_NUMBER = re.compile(r"^[-—－–\s]*(?:\d{1,4}|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})"
                          r"[-—－–\s]*$")
_URL_LINE = re.compile(r"^\s*<?(?:https?|ftp)://\S+?>?\s*$")
_MD_RULE = re.compile(r"^\s*(?:\|?\s*:?-{3,}:?\s*)+\|?\s*$|^\s*(?:[-*_]\s*){3,}$|^\s*<!--.*-->\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_BULLET = re.compile(r"^[-*+•●▪◆■]\s+")
_MD_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|/)[^)]*\)")
_CJK_CHAR = re.compile(f"[{P.CJK}{P.CJK_PUNCT}]")
_HAN = re.compile(f"[{P.CJK}]")
_LABEL_SPACE = re.compile(
    rf"^(第(?:{P.CN_NUM}|\d+)[编章节条](?:之{P.CN_NUM})?|\d{{1,2}}(?:\.\d{{1,2}}){{0,3}}(?=\s+[{P.CJK}]))\s+(?=\S)")
_CONTINUATION_START = tuple("，、。；：）》”’%％的")  # no sentence starts with these
_OPEN_END = tuple("，、（《“‘的和与及或")


@dataclass(slots=True)
class Line:
    """One logical line: a paragraph, heading or title line, with its 1-based span in the original file."""

    text: str
    first: int
    last: int
    width: float = 0.0  # layout width of the last physical line, in em


def clean(raw_lines: list[str]) -> list[Line]:
    physical: list[Line] = []
    for number, raw in enumerate(raw_lines, start=1):
        stripped = raw.translate(_SPACES).strip()
        if not stripped:
            continue
        if _PAGE_NUMBER.match(stripped) or _URL_LINE.match(stripped) or _MD_RULE.match(stripped):
            continue
        text = normalise(raw)
        if not text:
            continue
        physical.append(Line(text, number, number, P.display_width(stripped)))
    return _join_wrapped(physical)


CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")  # never text: read as spaces


def normalise(raw: str) -> str:
    """One raw line → normalised text (no joining across lines)."""
    text = CONTROL.sub(" ", raw)
    text = text.replace("\t", "\x00").translate(_SPACES).strip()
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub("", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = text.translate(_FULLWIDTH_ALNUM)
    cells = [cell.strip() for cell in re.split(r"\x00+|\s*\|\s*", text.strip("| \x00"))]
    if "\x00" in text or text.startswith("|"):
        # Table row (tab-separated, or a markdown | row |): keep the columns apart.
        text = " | ".join(cell for cell in cells if cell)
    text = text.replace("\x00", " ")
    text = _fix_brackets(text)
    text = re.sub(r" {2,}", " ", text)
    return _squeeze_spaces(text)


def _fix_brackets(text: str) -> str:
    """Half-width brackets around or beside Chinese become full-width: '(2024年1月10日)' → '（2024年1月10日）'."""

    def pair(match: re.Match) -> str:
        inner, start = match.group(1), match.start()
        before = text[start - 1] if start else ""
        if _HAN.search(inner) or not before or _CJK_CHAR.match(before) or before == " ":
            return f"（{inner}）"
        return match.group(0)

    text = re.sub(r"\(([^()]*)\)", pair, text)
    text = re.sub(rf"\((?=[{P.CJK}])", "（", text)
    return re.sub(rf"(?<=[{P.CJK}])\)", "）", text)


def _squeeze_spaces(text: str) -> str:
    """Drop spaces that PDF layout put inside Chinese text; keep those that separate words or organs."""
    label = _LABEL_SPACE.match(text)
    prefix = ""
    if label:  # "第一章 总 则" → "第一章 总则": the space after a heading label is meaningful
        prefix, text = label.group(1) + " ", text[label.end():]
    if " " not in text:
        return prefix + text
    tokens = text.split(" ")
    out = tokens[0]
    for token in tokens[1:]:
        if not token or not out:
            out += token
            continue
        left, right = out[-1], token[0]
        chinese = _CJK_CHAR.match(left) or _CJK_CHAR.match(right)
        if "|" in (left, right) or not chinese or _is_organ_boundary(out, token):
            out += " " + token
        elif left == right and _is_repeated_across_break(out, token):
            out += token[1:]
        else:
            out += token
    return prefix + out


def _is_organ_boundary(left: str, right: str) -> bool:
    """'国家发展改革委 国家能源局关于…': the space between two co-issuing organs is part of the title."""
    last_word = left.rsplit(" ", 1)[-1]
    return (len(last_word) >= 3 and len(right) >= 3 and bool(P.ORGAN_SUFFIX.search(last_word))
            and bool(_HAN.match(right)) and "关于" not in last_word)


def _is_repeated_across_break(left: str, right: str) -> bool:
    """'贯彻 彻落实': the last character printed again at the start of the next line."""
    doubled = left[-1] * 2
    return (len(left) >= 2 and len(right) >= 3 and not rjieba.has_word(doubled)
            and rjieba.has_word(left[-2:]) and not rjieba.has_word(right[:2]) and rjieba.has_word(right[1:3]))


def _join_wrapped(lines: list[Line]) -> list[Line]:
    widths = _wrap_widths(lines)
    joined: list[Line] = []
    for index, line in enumerate(lines):
        previous = joined[-1] if joined else None
        if previous and _continues(previous, line, widths[index - 1]):
            previous.text = _join_text(previous.text, line.text)
            previous.last, previous.width = line.last, line.width
        else:
            joined.append(line)
    return joined


def _wrap_widths(lines: list[Line]) -> list[float | None]:
    """The width at which the text was hard-wrapped, per line: the file's dominant width when there is one
    (a PDF export), else a local one (a file that mixes whole-paragraph lines with wrapped passages)."""
    global_width = _dominant_width([line.width for line in lines])
    if global_width:
        return [global_width] * len(lines)
    radius = 12
    return [_dominant_width([line.width for line in lines[max(0, i - radius): i + radius + 1]], local=True)
            for i in range(len(lines))]


def _dominant_width(widths: list[float], local: bool = False) -> float | None:
    wide = [round(w) for w in widths if w >= 12]
    if len(wide) < (5 if local else 30):
        return None
    counts = Counter(wide)
    mode = max(counts, key=lambda w: (counts[w - 1] + counts[w] + counts[w + 1], w))
    band = counts[mode - 1] + counts[mode] + counts[mode + 1]
    if band < len(wide) * (0.4 if local else 0.3):
        return None
    return max(w for w in (mode - 1, mode, mode + 1) if counts[w]) if counts[mode + 1] else float(mode)


def _continues(previous: Line, line: Line, wrap_width: float | None) -> bool:
    """Is `line` the rest of the sentence that `previous` started?"""
    before, text = previous.text, line.text
    if (P.ends_terminal(before) or " | " in before or " | " in text or is_hard_break(text)
            or _stands_alone(before)):
        return False
    if text.startswith(_CONTINUATION_START) or _unbalanced(before):
        return True
    if before.endswith(_OPEN_END):
        return True
    starts_heading = P.heading_match(text) is not None
    if P.is_title_like(before) and (starts_heading or text.endswith(("：", ":"))):
        return False
    if P.is_title_like(text):
        return False  # a title after a paragraph that ends without its full stop
    if wrap_width and previous.width >= wrap_width - 3.5:
        return not starts_heading and not P.is_organ_line(text, with_verb=False) and not P.is_title_like(before)
    if starts_heading:
        return False
    width = P.display_width(before)
    if width >= 25 and any(mark in before for mark in "，。；"):
        return True  # a sentence already under way that stops without its full stop
    # Whole-paragraph lines: a long line that stops mid-sentence was cut by a page break.
    return width >= 40 and not P.is_title_like(before)


def _unbalanced(text: str) -> bool:
    return text.count("《") > text.count("》") or text.count("（") > text.count("）")


def _join_text(before: str, after: str) -> str:
    if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum():
        return before + " " + after
    if before[-1] == after[0] and _HAN.match(after[0]) and _is_repeated_across_break(before, after):
        return before + after[1:]
    return before + after


def _stands_alone(text: str) -> bool:
    """Lines nothing continues: a date, a 文号, a 令 header, a category, a TOC entry, a 印发 line."""
    return is_hard_break(text) and not (P.COPY_LINE.match(text) or P.attachment_marker(text))


def is_hard_break(text: str) -> bool:
    """Lines that always stand alone: dates, 文号, 令 headers, category separators, 附件 lines, TOC entries."""
    return bool(
        P.DATE_LINE.match(text) or P.PAREN_DATE_LINE.match(text) or P.is_event_line(text)
        or P.DOC_NUMBER_LINE.match(text)
        or P.ORDER_HEADER.match(text) or P.ORDER_NUMBER_LINE.match(text) or P.NOTICE_NUMBER_LINE.match(text)
        or P.CATEGORY_LINE.match(text) or P.TOC_ENTRY.match(text) or P.TOC_HEADING.match(text)
        or P.COPY_LINE.match(text) or P.PRINTED_LINE.match(text) or P.CLOSING_NOTE.match(text)
        or P.attachment_marker(text) is not None
    )
