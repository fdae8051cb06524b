"""Splitting: the cleaned lines of a compilation (汇编) → one span per policy document.

A document starts at
- a 令 header ("中华人民共和国国务院令 / 第744号"): the 令, its 公布 sentence and the regulation are one document;
- a title block (one to four lines ending in a genre word: 通知, 意见, 办法 …) that the table of contents lists,
  or that is followed by what follows a 公文 title (发文字号, a bracketed date, 主送机关, 第一章/第一条), or that
  comes right after the previous document's closing date;
- a 发文字号 line printed above its title (the GB/T 9704 layout).
Category separator lines (国务院文件, （自然资源部）) end a document and set the category of the next ones.
A title that names something the current document 印发/公布s or lists under 附件 is that document's attachment,
not a new document. When the table of contents lists a document whose title the body lacks, the document is
found between its neighbours, after the previous one's closing date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from huiqi import patterns as P
from huiqi.clean import Line, is_hard_break

_STARTS_WITH_ORGAN = re.compile(rf"^[{P.CJK}]{{2,30}}?(?:{P.ORGAN_ENDINGS})(?=关于|等|印发|转发|联合|[ ]|$)")
_PROMULGATED = re.compile(
    r"(?:印发|转发|发布|公布|颁布)(?:了)?《?([^《》]{2,80}?)》?(?:的(?:通知|公告|决定|函|命令)|给你们|，|。|$)")
_QUOTED = re.compile(r"《([^《》]{2,80})》")
_ISSUER_MARK = re.compile(rf"^[{P.CJK} ]{{2,40}}文件$")
_PAREN_ONLY = re.compile(r"^[（(][^（()）]{1,24}[）)]$")


@dataclass
class TocEntry:
    title: str
    page: int | None
    index: int  # position in the cleaned lines


@dataclass
class DocumentSpan:
    lines: list[Line]
    title_lines: list[Line] = field(default_factory=list)  # the title block as printed (empty: none found)
    category: str | None = None
    toc: TocEntry | None = None  # the table-of-contents entry that lists it
    kind: str = "title"  # title | order | number | toc | whole
    warnings: list[str] = field(default_factory=list)

    @property
    def toc_title(self) -> str | None:
        return self.toc.title if self.toc else None


@dataclass
class Compilation:
    title: str | None
    documents: list[DocumentSpan]


@dataclass
class _Candidate:
    start: int  # first line of the document
    title_first: int
    title_last: int  # inclusive; the title block (plus a bracketed tail line)
    kind: str
    opener: bool = False
    after_closing: bool = False
    toc: TocEntry | None = None


def split(lines: list[Line]) -> Compilation:
    toc, body_start = _find_toc(lines)
    candidates = _candidates(lines, body_start)
    toc_matches = _match_toc(lines, toc, body_start)
    for candidate in candidates:
        candidate.toc = toc_matches.get(candidate.title_first)
    for index, entry in toc_matches.items():  # TOC titles that no other cue found
        if not any(c.title_first == index for c in candidates):
            block_end = index + max(1, len(_title_text_lines(entry, lines, index))) - 1
            candidates.append(_Candidate(index, index, block_end, "toc", toc=entry))
    candidates.sort(key=lambda c: c.start)
    accepted = _accept(lines, candidates, has_toc=bool(toc))
    documents = _spans(lines, accepted, body_start)
    if toc:
        _recover_missing_toc_entries(documents, toc)
    front = lines[:accepted[0].start] if accepted else lines[:body_start]
    return Compilation(title=_compilation_title(front), documents=documents)


# Table of contents ------------------------------------------------------------------------------------------

def _find_toc(lines: list[Line]) -> tuple[list[TocEntry], int]:
    head = min(len(lines), 400)
    start = next((i for i in range(head) if P.TOC_HEADING.match(lines[i].text)), None)
    if start is None:  # an unlabelled run of "title……page" lines near the top
        start = next((i - 1 for i in range(min(head, 200))
                      if all(P.TOC_ENTRY.match(line.text) for line in lines[i:i + 3]) and len(lines) > i + 3), None)
        if start is None:
            return [], 0
    entries: list[TocEntry] = []
    index, misses, pending = start + 1, 0, ""
    last_entry = start
    while index < len(lines) and misses <= 2:
        text = lines[index].text
        match = P.TOC_ENTRY.match(pending + text)
        if match:
            title = re.sub(r"[\s|…·.]+$", "", match.group(2)).strip()
            entries.append(TocEntry(title=title, page=int(match.group(3)), index=index))
            last_entry, misses, pending = index, 0, ""
        elif len(text) < 80 and not P.ends_terminal(text):
            # a section label inside the TOC, or the first half of a wrapped entry
            pending = "" if P.CATEGORY_LINE.match(text) else text
            misses += 1
        else:
            break
        index += 1
    if len(entries) < 2:
        return [], 0
    return entries, last_entry + 1


def norm_title(text: str) -> str:
    """Compare titles without the differences extraction introduces: spaces, bracket widths, quote styles."""
    text = re.sub(r"\s+", "", text)
    return text.translate(str.maketrans("()[]\"'「」『』", "（）〔〕“‘“”‘’"))


def similarity(a: str, b: str) -> float:
    a, b = norm_title(a), norm_title(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _title_text_lines(entry: TocEntry, lines: list[Line], index: int) -> list[Line]:
    """The body lines, starting at `index`, whose joined text best matches the TOC title."""
    best, best_score = [lines[index]], similarity(lines[index].text, entry.title)
    for extra in range(1, 4):
        block = lines[index:index + extra + 1]
        if len(block) <= extra or any(is_hard_break(line.text) for line in block[1:]):
            break
        score = similarity("".join(line.text for line in block), entry.title)
        if score > best_score:
            best, best_score = block, score
    return best


def _match_toc(lines: list[Line], toc: list[TocEntry], body_start: int) -> dict[int, TocEntry]:
    """Body line index → TOC entry, in TOC order; titles may differ by typos and split lines."""
    matches: dict[int, TocEntry] = {}
    for threshold in (0.9, 0.75):  # sure matches first; then looser ones between them
        cursor = body_start
        for entry in toc:
            done = next((i for i, e in matches.items() if e is entry), None)
            if done is not None:
                cursor = done + 1
                continue
            limit = _next_match_index(matches, entry, toc, len(lines))
            found = _find_title(lines, entry, cursor, limit, threshold)
            if found is not None:
                matches[found] = entry
                cursor = found + 1
    return dict(sorted(matches.items()))


def _next_match_index(matches: dict[int, TocEntry], entry: TocEntry, toc: list[TocEntry], default: int) -> int:
    later = toc[toc.index(entry) + 1:]
    found = [i for i, e in matches.items() if any(e is x for x in later)]
    return min(found) if found else default


def _find_title(lines: list[Line], entry: TocEntry, start: int, stop: int, threshold: float) -> int | None:
    target = norm_title(entry.title)
    grams = {target[i:i + 2] for i in range(len(target) - 1)}
    for index in range(start, stop):
        text = norm_title(lines[index].text)
        if not text or len(text) > len(target) * 1.6 + 10 or P.ends_terminal(text) or not grams:
            continue
        overlap = sum(1 for i in range(len(text) - 1) if text[i:i + 2] in grams) / max(1, len(text) - 1)
        if overlap < 0.6:
            continue
        block = _title_text_lines(entry, lines, index)
        if similarity("".join(line.text for line in block), entry.title) >= threshold:
            return index
    return None


# Candidates ------------------------------------------------------------------------------------------------

def _candidates(lines: list[Line], body_start: int) -> list[_Candidate]:
    found: list[_Candidate] = []
    index = body_start
    while index < len(lines):
        text = lines[index].text
        if P.ORDER_HEADER.match(text):
            found.append(_Candidate(index, index, index, "order", opener=True))
        elif P.DOC_NUMBER_LINE.match(text) and _number_first(lines, index):
            title_last = _title_end_after(lines, index + 1)
            start = index - 1 if index and _ISSUER_MARK.match(lines[index - 1].text) else index
            found.append(_Candidate(start, index + 1, title_last, "number", opener=True,
                                    after_closing=_after_closing(lines, start, body_start)))
        elif _is_title_end(text):
            first = _title_start(lines, index, body_start)
            following = lines[index + 1].text if index + 1 < len(lines) else ""
            tail = (_PAREN_ONLY.match(following) and not P.PAREN_DATE_LINE.match(following)
                    and not P.DOC_NUMBER_LINE.match(following) and not P.NOTICE_NUMBER_LINE.match(following))
            last = index + 1 if tail else index
            candidate = _Candidate(first, first, last, "title",
                                   opener=index + 1 < len(lines) and _is_opener(lines, last + 1),
                                   after_closing=_after_closing(lines, first, body_start))
            found.append(candidate)
            index = last
        index += 1
    return found


def _is_title_end(text: str) -> bool:
    return (P.is_title_like(text) and len(text) <= 120 and not is_hard_break(text)
            and P.heading_match(text) is None and " | " not in text)


def _can_continue_title(text: str) -> bool:
    return (len(text) <= 50 and not P.ends_terminal(text) and not is_hard_break(text)
            and P.heading_match(text) is None and " | " not in text and "，" not in text)


def _title_start(lines: list[Line], end: int, floor: int) -> int:
    """Walk back from a title's last line to its first: a line that starts it (with an organ name, 关于 or
    《), up to two lines back, then any lines above it that hold only co-issuing organs
    ("国家发展改革委 住房城乡建设部 生态环境部") or organs that 印发 ("中共中央办公厅 国务院办公厅印发")."""
    first = end
    if _needs_head(lines[end].text) and not lines[end].text.startswith(("关于", "《")):
        for back in (1, 2):
            index = end - back
            if index < floor or not _can_continue_title(lines[index].text):
                break
            text = lines[index].text
            if "关于" in text or _STARTS_WITH_ORGAN.match(text) or text.startswith("《"):
                first = index
                break
    while first - 1 >= floor and end - first < 3 and _can_continue_title(lines[first - 1].text):
        head = lines[first].text
        if not (P.is_organ_line(lines[first - 1].text)
                and (head.startswith(("关于", "《", "联合印发", "印发")) or _STARTS_WITH_ORGAN.match(head))):
            break
        first -= 1
    return first


def _needs_head(text: str) -> bool:
    """A title line that cannot be a title's first line: it starts with 关于/《 or in mid-phrase."""
    if text.startswith(("关于", "《", "“")):
        return True
    return not _STARTS_WITH_ORGAN.match(text) and not text.startswith(("中共", "中华人民共和国"))


def _title_end_after(lines: list[Line], index: int) -> int:
    for last in range(index, min(index + 4, len(lines))):
        if _is_title_end(lines[last].text):
            return last
    return index


def _number_first(lines: list[Line], index: int) -> bool:
    """发文字号 above the title: the line before is not a title, the line after starts one."""
    before = lines[index - 1].text if index else ""
    return (not _is_title_end(before) and not _PAREN_ONLY.match(before)
            and any(_is_title_end(line.text) for line in lines[index + 1:index + 4]))


def _is_opener(lines: list[Line], index: int) -> bool:
    """What follows a 公文 title: 文号, date line, 公告 number, 主送机关, or the first 章/条 of a regulation."""
    if index >= len(lines):
        return False
    text = lines[index].text
    if (P.DOC_NUMBER_LINE.match(text) or P.NOTICE_NUMBER_LINE.match(text) or P.DATE_LINE.match(text)
            or P.PAREN_DATE_LINE.match(text) or P.is_event_line(text)):
        return True
    return bool(re.match(r"^第[一1]\s*[编章条](?:\s|$)", text) or _is_addressee(text))


def _is_addressee(text: str) -> bool:
    return (text.endswith(("：", ":")) and len(text) <= 300 and P.heading_match(text) is None
            and "如下" not in text and (text.startswith("各") or bool(re.search(r"[，、]", text))
                                        or P.is_organ_line(text[:-1], with_verb=False)))


def _after_closing(lines: list[Line], index: int, floor: int) -> bool:
    if index <= floor:
        return True
    previous = lines[index - 1].text
    return bool(P.DATE_LINE.match(previous) or is_closing_note(previous) or P.CATEGORY_LINE.match(previous))


# Acceptance ------------------------------------------------------------------------------------------------

def _accept(lines: list[Line], candidates: list[_Candidate], has_toc: bool) -> list[_Candidate]:
    accepted: list[_Candidate] = []
    for candidate in candidates:
        current = accepted[-1] if accepted else None
        if current and candidate.start <= current.title_last:
            continue
        if candidate.kind == "order" or candidate.toc:
            accepted.append(candidate)
            continue
        if current and (_is_attachment(lines, current, candidate) or _repeats_title(lines, current, candidate)):
            continue
        if has_toc:
            ok = candidate.opener and (candidate.after_closing or _has_number(lines, candidate))
        else:
            ok = (candidate.opener or (candidate.after_closing and _has_head(lines, candidate))
                  or _stands_alone(lines, candidate))
        if ok:
            accepted.append(candidate)
    return accepted


def _stands_alone(lines: list[Line], candidate: _Candidate) -> bool:
    """A complete 公文 title — issuer, 关于, genre — on its own between finished paragraphs: a document
    printed straight after the previous one's text, with neither a closing date nor a 文号 between."""
    title = "".join(line.text for line in lines[candidate.title_first:candidate.title_last + 1])
    before = lines[candidate.start - 1].text if candidate.start else ""
    after = lines[candidate.title_last + 1].text if candidate.title_last + 1 < len(lines) else ""
    return (bool(_STARTS_WITH_ORGAN.match(title)) and "关于" in title and P.TITLE_END.search(title) is not None
            and not P.DOC_NUMBER.search(title) and P.ends_terminal(before) and not P.is_title_like(after)
            and P.ends_terminal(after))


def _repeats_title(lines: list[Line], current: _Candidate, candidate: _Candidate) -> bool:
    """The same title printed again before any text (a law file's heading, then the 公文 itself)."""
    between = lines[current.title_last + 1:candidate.start]
    if any(P.ends_terminal(line.text) for line in between):
        return False
    title = "".join(line.text for line in lines[current.title_first:current.title_last + 1])
    again = "".join(line.text for line in lines[candidate.title_first:candidate.title_last + 1])
    return similarity(title, again) >= 0.85


def _has_number(lines: list[Line], candidate: _Candidate) -> bool:
    following = lines[candidate.title_last + 1].text if candidate.title_last + 1 < len(lines) else ""
    return candidate.kind == "number" or bool(P.DOC_NUMBER_LINE.match(following))


def _has_head(lines: list[Line], candidate: _Candidate) -> bool:
    text = "".join(line.text for line in lines[candidate.title_first:candidate.title_last + 1])
    return "关于" in text or bool(_STARTS_WITH_ORGAN.match(text))


def _is_attachment(lines: list[Line], current: _Candidate, candidate: _Candidate) -> bool:
    """Is the candidate title something the current document 印发s, 公布s, or lists as 附件, or does it
    follow a bare '附件' / '附：' line?"""
    marker = P.attachment_marker(lines[candidate.start - 1].text) if candidate.start else None
    if marker and not marker[1]:  # a bare '附件1' whose title is the next line
        return True
    title = norm_title("".join(line.text for line in lines[candidate.title_first:candidate.title_last + 1]))
    title_core = P.TITLE_TAIL.sub("", title)
    own_title = norm_title("".join(line.text for line in lines[current.title_first:current.title_last + 1]))
    names = attachment_names(own_title, [line.text for line in lines[current.start:candidate.start]])
    if title_core and title_core in own_title and title_core != own_title:
        return True
    return any(name and (title_core in name or name in title) for name in names)


def attachment_names(title: str, body: list[str]) -> list[str]:
    """What a document carries along: 《X》 it 印发s or 公布s, and titles its 附件 lines announce."""
    names = [norm_title(m.group(1)) for m in _PROMULGATED.finditer(title)]
    names += [norm_title(m.group(1)) for m in _QUOTED.finditer(title)]
    for text in body[:8]:
        if any(word in text for word in ("印发", "公布", "发布", "转发")):
            names += [norm_title(m.group(1)) for m in _QUOTED.finditer(text)]
    for text in body:
        marker = P.attachment_marker(text)
        if marker and marker[1]:
            names.append(norm_title(P.TITLE_TAIL.sub("", marker[1].strip("《》 "))))
    return [P.TITLE_TAIL.sub("", name.strip("《》")) for name in names if len(name) >= 2]


# Spans -----------------------------------------------------------------------------------------------------

def _spans(lines: list[Line], accepted: list[_Candidate], body_start: int) -> list[DocumentSpan]:
    documents: list[DocumentSpan] = []
    category: str | None = None
    starts = [c.start for c in accepted]
    if not accepted:
        body = [line for line in lines[body_start:] if not P.CATEGORY_LINE.match(line.text)]
        title = next((line for line in body[:6] if _is_title_end(line.text)), None)
        return [DocumentSpan(body, [title] if title else [], kind="whole")] if body else []
    leading = lines[body_start:starts[0]]
    for line in leading:  # category lines before the first document
        if P.CATEGORY_LINE.match(line.text):
            category = line.text.strip("（）() ")
    stray = [line for line in leading if not P.CATEGORY_LINE.match(line.text)]
    if len(stray) > 8 or any(P.ends_terminal(line.text) for line in stray):
        span = DocumentSpan(stray, [], category=category, kind="whole")
        span.warnings.append("text before the first recognised document; its title was not found")
        documents.append(span)
    for number, candidate in enumerate(accepted):
        end = starts[number + 1] if number + 1 < len(starts) else len(lines)
        # Category lines separate documents: they count only after a document's last line of text. One
        # inside the text ('其他' in a list) is text.
        body = lines[candidate.start:end]
        trailing = 0
        while trailing < len(body) - 1 and P.CATEGORY_LINE.match(body[-1 - trailing].text):
            trailing += 1
        next_category = body[-1].text.strip("（）() ") if trailing else category
        body = body[:len(body) - trailing]
        title_lines = [] if candidate.kind == "order" else lines[candidate.title_first:candidate.title_last + 1]
        span = DocumentSpan(body, title_lines, category=category, kind=candidate.kind, toc=candidate.toc)
        documents.append(span)
        category = next_category
    return documents


def _recover_missing_toc_entries(documents: list[DocumentSpan], toc: list[TocEntry]) -> None:
    """A TOC entry whose title the body lacks: split it off the document listed before it, after that
    document's closing date."""
    for position, entry in enumerate(toc):
        if any(document.toc is entry for document in documents):
            continue
        earlier = toc[:position]
        hosts = [d for d in documents if d.toc is not None and any(d.toc is e for e in earlier)]
        host = hosts[-1] if hosts else None
        cut = _closing_cut(host) if host else None
        if cut is None:
            continue
        new = DocumentSpan(host.lines[cut:], [], category=host.category, toc=entry, kind="toc")
        new.warnings.append("title not found in the body; taken from the table of contents")
        host.lines = host.lines[:cut]
        documents.insert(documents.index(host) + 1, new)


def _closing_cut(host: DocumentSpan) -> int | None:
    """Where the host's own text ends: after a closing date, unless what follows is its attachment."""
    lines = host.lines
    own_title = norm_title("".join(line.text for line in host.title_lines))
    names = attachment_names(own_title, [line.text for line in lines])
    for index in range(3, len(lines) - 1):
        if P.DATE_LINE.match(lines[index].text):
            cut = index + 1
            while cut < len(lines) and is_closing_note(lines[cut].text):
                cut += 1
            following = norm_title(P.TITLE_TAIL.sub("", lines[cut].text)) if cut < len(lines) else ""
            if (cut < len(lines) and not P.attachment_marker(lines[cut].text)
                    and not any(name and (following in name or name in following) for name in names)
                    and following not in own_title):
                return cut
    return None


def is_closing_note(text: str) -> bool:
    return bool(P.CLOSING_NOTE.match(text) or P.COPY_LINE.match(text) or P.PRINTED_LINE.match(text))


def _compilation_title(front: list[Line]) -> str | None:
    for line in front[:10]:
        if "汇编" in line.text or "政策" in line.text:
            return line.text
    return None
