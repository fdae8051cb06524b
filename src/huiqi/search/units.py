"""What a provision is indexed as: whether it is worth finding at all, the windows of sentences a long one is cut
into (the lexical index and the embeddings hold the same ones), and what it adds to its children's title path."""

from __future__ import annotations

import re

from huiqi.records import Provision

NOT_INDEXED = ("signature", "attachment_list")
PASSAGE_CHARS = 160  # about two or three sentences
LEAD_IN_CHARS = 80  # of a list's introducing sentence, carried into its items' title path


def searchable(provision: Provision) -> bool:
    """A provision worth finding: one with words of its own, not a 署名 or the list of attachments."""
    return provision.kind not in NOT_INDEXED and bool(provision.text or provision.heading)


def lead_in(text: str) -> str | None:
    """The sentence that introduces a list ('有下列情形之一的，处……罚款：'), when the text ends with one."""
    text = text.rstrip()
    if not text.endswith(("：", ":")):
        return None
    return re.split(r"(?<=[。；！？])", text[:-1].strip())[-1]


def path_part(provision: Provision) -> str:
    """What a provision tells its children about themselves: its label and heading, and the sentence that
    introduces their list, without which an item ('逾期不签订出让合同的；') says neither what it is a case of nor
    what follows from it."""
    head = " ".join(x for x in (provision.num, provision.heading) if x)
    lead = lead_in(provision.text)
    return f"{head} {lead[-LEAD_IN_CHARS:]}" if lead is not None else head


def passages(text: str) -> list[str]:
    """A long provision is indexed as windows of whole sentences, so that the one sentence that answers a
    question is not drowned by the rest (BM25 normalises by length); a hit counts its best window."""
    if len(text) <= PASSAGE_CHARS:
        return [text]
    sentences = [s for s in re.split(r"(?<=[。；！？\n])", text) if s.strip()]
    windows: list[str] = []
    window: list[str] = []
    for sentence in sentences:
        if window and sum(map(len, window)) + len(sentence) > PASSAGE_CHARS:
            windows.append("".join(window))
            window = window[-1:]  # one sentence of overlap, so no answer is cut between two windows
        window.append(sentence)
    windows.append("".join(window))
    return windows
