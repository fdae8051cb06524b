"""Query understanding: a question in everyday words → weighted words and bigrams to look for.

Spoken padding (请问, 我们公司, 能不能 …) is dropped; abbreviations and everyday words are expanded to the
words policies use (发改委 → 国家发展改革委 / 国家发展和改革委员会, 小微 → 小型微型, 应届生 → 高校毕业生),
with a lower weight than the user's own words. A word the library never uses may be a shortening of one it does
(技校 → 技工学校, 民科 → 民营科技企业): the index's own words are asked (`add_shortenings`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import accumulate

from huiqi import organs
from huiqi import patterns as P
from huiqi.clean import CONTROL
from huiqi.errors import BadRequest
from huiqi.search.tokens import STOPWORDS, Segmenter, bigrams, normalise
from huiqi.versions import text_key

EXPANSION_WEIGHT = 0.5
SHORTENING_GAP = 4  # the most characters a shortening leaves out (民营科技企业 → 民科)
SHORTENINGS_PER_WORD = 3  # the library's commonest words a shortening may stand for
# A word jieba's dictionary counts this often (德国 9,604, 上司 1,137; 技校 56, 外企 458) is one people use in its own
# sense, not a shortening: 德国 is no 以德治国. Below it the two mix (公关 418, 孕妇 498) and only the library can tell.
EVERYDAY_FREQUENCY = 1000
MAX_QUERY_CHARS = 200  # a question, not a document: the CLI and the API refuse longer ones alike
RULE_FILES = ("synonyms.txt", "abbreviations.txt")

# Dropped as whole words (after segmentation), never as substrings: '能' goes, '能源' stays.
STOP_WORDS = frozenset("""
请问 请教 想问一下 想问 问一下 问问 我想知道 想知道 想了解 了解一下 咨询一下 咨询 帮我查
帮忙 看看 麻烦 我们公司 我们企业 我们单位 我们厂 我们这 我公司 我司 本公司 我们 咱们 我
你们 您好 你好 他 他们 她 能不能 可不可以 可以不可以 能否 是否 是不是 有没有 有无 有
没有 有啥 有什么 是 什么 啥 怎么办 怎么样 怎么 怎样 如何 哪些 哪里 哪个 哪 多少 几个
几 吗 呢 吧 啊 呀 嘛 哦 呗 了 的 一下 还 还能 还可以 可以 能 会 要 想 需要
要不要 应该 得 就 都 也 又 再 吧 么 那 这 这个 那个 现在 今年 去年 明年 已经 之前
之后 时候 一个 一些 给 让 被 把 跟 和
""".split())


_NUMBER = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)"
MEASURE_WORDS = "家个种级类项名人批所座条台套户次张辆艘株吨篇份位轮期"
_ASKED_COUNT = re.compile(f"(?:几|多少)([{MEASURE_WORDS}])")  # 几所, 多少台: a count of that measure word
# What kind of answer a question wants, and what such an answer looks like in a provision (classic question
# classification): '贴息多少' wants an amount or a rate, '多久' a duration, '几家' a count, '是什么' a definition.
ANSWER_SHAPES: dict[str, tuple[tuple[str, ...], str]] = {
    "amount": (("多少", "多高", "几个点", "什么标准", "怎么算", "上限", "最高", "最多", "比例", "补多少", "罚多少"),
               rf"{_NUMBER}\s*(?:%|‰|万元|亿元|元|倍)"),
    "duration": (("多久", "多长时间", "几天", "几年", "多少天", "几个月", "期限", "有效期", "年限", "最晚", "最迟",
                  "什么时候", "啥时候", "哪年", "到哪年", "最短", "最长"),
                 rf"{_NUMBER}\s*个?(?:工作日|日|天|小时|年|月|周)"),
    "count": (("分几", "名额"),  # and a count in the question's own measure word, '几家' (answer_shape)
              rf"{_NUMBER}\s*(?:家|个|种|级|类|项|名|人|批)"),
    "definition": (("是什么", "什么意思", "定义", "指什么", "什么叫", "怎么理解", "是指"), r"是指|所称|是把|定义为"),
    "sanction": (("罚", "处罚", "后果", "追究", "追责", "会怎样", "会怎么样", "吊销", "法律责任"),
                 r"罚款|处以|吊销|责令|没收|追究.{0,12}责任|不予.{0,6}处罚|取消.{0,12}资格|列入.{0,12}名单"),
}


# What a question says besides a 文号 when it wants the document itself: '国办发〔2024〕7号文件讲了什么'.
DOCUMENT_WORDS = frozenset("文 文件 全文 原文 内容 主要内容 具体 讲 说 写 讲的 说的 规定了".split())
_WORDISH = re.compile(r"\w")

_HAN_WORD = re.compile(f"[{P.CJK}]{{2,}}")
_NUMERAL = re.compile(r"[一二两三四五六七八九十百千]")  # 四名 is four people, not 四十名; 第六次 not 第十六次


def shortening_of(word: str, term: str) -> bool:
    """Could `word` be `term` shortened the Chinese way, keeping its first character and some of the others in
    order (技校 ← 技工学校, 零件 ← 零部件, 民科 ← 民营科技企业)?"""
    if not len(word) < len(term) <= len(word) + SHORTENING_GAP or term[0] != word[0] or term.startswith(word):
        return False
    return _in_order(word[1:], term[1:])


@dataclass
class QueryTerms:
    words: dict[str, float] = field(default_factory=dict)
    grams: dict[str, float] = field(default_factory=dict)
    core: str = ""  # the question without its padding
    answer: re.Pattern | None = None  # what the answer looks like, when the question says (amount, duration …)
    # The question's own words that may be shortenings: Chinese, not padding, numbers or everyday words
    unusual_words: list[str] = field(default_factory=list)

    def add(self, target: dict[str, float], terms: list[str], weight: float) -> None:
        for term in terms:
            target[term] = max(weight, target.get(term, 0.0))

    @property
    def empty(self) -> bool:
        return not self.words and not self.grams


@dataclass(frozen=True)
class Rule:
    triggers: tuple[str, ...]
    expansions: tuple[str, ...]


@cache
def rules() -> tuple[Rule, ...]:
    """Synonym rules from data/synonyms.txt and data/abbreviations.txt, plus every central organ's names."""
    data = resources.files("huiqi").joinpath("data")
    text = "\n".join(data.joinpath(name).read_text(encoding="utf-8") for name in RULE_FILES)
    found: list[Rule] = []
    for raw in text.splitlines():
        line = raw.split("#")[0].strip()
        if "=>" in line:
            left, right = line.split("=>")
            found.append(Rule(_terms(left, ","), _terms(right, ",")))
        elif "|" in line:
            group = _terms(line, "|")
            found.append(Rule(group, group))
    for names in organs.CENTRAL_ORGANS:
        if len(names) > 1:
            found.append(Rule(tuple(n for n in names if len(n) >= 2), names))
    return tuple(found)


def add_shortenings(terms: QueryTerms, used: Callable[[str], bool], words_from: Callable[[str], list[str]]) -> None:
    """A word of the question that the library never uses (`used`) may be its shortening of a word the library does
    use (技校 → 技工学校, 零件 → 零部件): the commonest such words (`words_from` a first character lists the
    library's words, commonest first) are looked for too, at an expansion's weight. As whole words only, not as their
    bigrams: most such words are a guess (没法 → 没收违法所得), and a wrong one's bigrams (所得) would match widely."""
    for word in terms.unusual_words:
        if used(word):
            continue
        longer = [term for term in words_from(word[0]) if shortening_of(word, term)]
        terms.add(terms.words, longer[:SHORTENINGS_PER_WORD], EXPANSION_WEIGHT)


def document_number_key(doc_number: str) -> str | None:
    """What a document's 文号 is indexed as: the key every spelling of it shares (`patterns.doc_number_mentions`)."""
    return P.doc_number_key(normalise(doc_number))


def named_documents(query: str, known: Callable[[str], bool], segmenter: Segmenter) -> tuple[list[str], str]:
    """The 文号 a question names that the library `known`s, as keys, and the question without them: '' when the
    rest is padding or words for the document itself ('国办发〔2024〕7号文件讲了什么'), for then the document is
    wanted whole. Of the issuers the run before a number may be, the longest the library knows is taken."""
    text = re.sub(r"\s+", "", normalise(query))
    keys: list[str] = []
    rest, done = [], 0
    for end, candidates in P.doc_number_mentions(text):
        found = next(((start, key) for start, key in candidates if known(key)), None)
        if found:
            keys.append(found[1])
            rest.append(text[done:found[0]])
            done = end
    if not keys:
        return [], query
    rest.append(text[done:])
    remainder = " ".join(rest)
    wordless = all(token in STOP_WORDS or token in DOCUMENT_WORDS or not _WORDISH.search(token)
                   for token in segmenter.jieba.cut(remainder))
    return list(dict.fromkeys(keys)), "" if wordless else remainder


@dataclass(frozen=True)
class CitedArticle:
    """'公司法第十条第二款': the title it is cited by (`versions.text_key`), the articles' eId parts (art_10, art_15-1
    for 第十五条之一; several for 第十条和第十一条, 第十条至第十二条), and what picks the 款 or 项 cited of them."""
    title: str
    articles: tuple[str, ...]
    part: re.Pattern


# What follows a cited article in the same citation: another article, 款 or 项, after a word that joins them;
# 第 may be left out (第十条至十二条, 第十条第一款、第二款, 第10条到12条)
_ARTICLE_NUMBER = rf"[{P.CN_NUMBER}]+"
_RANGE = "至|到|[-—~～]"  # the joiners of a range; the others list
_JOINER = rf"、|，|,|和|及|以及|与|或者?|{_RANGE}"
_CITED_MORE = re.compile(
    rf"(?P<joiner>{_JOINER})第?(?:(?P<article>{_ARTICLE_NUMBER})条(?:之(?P<extra>{_ARTICLE_NUMBER}))?)?"
    rf"(?:第?(?P<paragraph>{_ARTICLE_NUMBER})款)?(?:第?(?P<point>{_ARTICLE_NUMBER})项)?")
_UNREAD_MORE = re.compile(rf"(?:{_JOINER})第?[{P.CN_NUMBER}万亿]+[条款项]")  # a number the patterns cannot read
MAX_CITED_ARTICLES = 30  # a range longer than this is cut: a chapter is asked for, and that is a search
SHORT_TITLE_GENRES = ("条例", "法")  # what the short name of a law or a regulation ends in: 征管法, 个税法
MAX_SHORT_TITLE = 8  # characters: 税收征管法, 反不正当竞争法 are shorter
MAX_CITATIONS = 10  # read in one question: each costs a look at the titles, and a question is no list of them
MAX_TITLE = 120  # characters a cited title may have (the laws' longest has 87)


def cited_articles(query: str, known: Callable[[str], bool],
                   titles: Callable[[], Iterable[str]] = tuple) -> list[CitedArticle]:
    """The articles the question cites, a CitedArticle a title, in the order cited: '公司法第十条和劳动合同法第三十九条'
    cites two texts. A title is one the library `known`s, or a short name of one of its `titles` (征管法, see
    `short_title`); of the titles the text before 第…条 may end in ('请问公司法', '问公司法', '公司法' …) the longest
    known is taken. A citation inside another's title is part of it: in
    '最高人民法院关于适用刑法第十二条几个问题的解释第二条', 刑法第十二条 is no citation. Articles, 款 and 项 joined to a
    cited article (第十条和第十一条, 第十条至第十二条, 第十条第一款、第二款) are of the same title; a citation that
    goes on in a way not read (第一条至第一亿条) is none, and the question is searched as words."""
    text = re.sub(r"\s+", "", normalise(query))
    found: list[tuple[int, str, re.Match]] = []  # (where the title starts, the title, the first article cited)
    shortened = _ShortTitles(titles)
    for match in itertools.islice(P.CITED_ARTICLE.finditer(text), MAX_CITATIONS):
        before = text[max(0, match.start() - MAX_TITLE):match.start()]
        start, title = next(((start, key) for start in range(len(before))
                             if (key := text_key(before[start:])) and known(key)), (0, None))
        for length in range(min(len(before), MAX_SHORT_TITLE), 2, -1) if title is None else ():  # 海洋环保法 first
            if title := shortened.title(text_key(before[-length:])):
                start = len(before) - length
                break
        start += match.start() - len(before)
        if title and P.cn_to_int(match.group(1)):
            found = [(s, t, m) for s, t, m in found if not start <= m.start() < match.start()]  # inside this title
            found.append((start, title, match))
    cited: dict[str, CitedArticle] = {}
    for _, title, match in found:
        more = _cited_parts(text, match)
        if more is None:
            continue
        articles, parts = more
        if title in cited:  # 公司法第十条 … 公司法第十二条: one text cited twice
            articles = (*cited[title].articles, *articles)
            parts = [cited[title].part.pattern, *parts]
        cited[title] = CitedArticle(title, tuple(dict.fromkeys(articles))[:MAX_CITED_ARTICLES],
                                    re.compile("|".join(parts)))
    return list(cited.values())


def _cited_parts(text: str, match: re.Match) -> tuple[list[str], list[str]] | None:
    """The articles (eId parts) one citation names from `match` on, and a pattern each for the provisions cited;
    None when it goes on in a way not read."""
    number, extra, paragraph, point = (P.cn_to_int(group) if group else None for group in match.groups())
    cited = [(number, extra, paragraph, point)]
    end = match.end()
    while more := _CITED_MORE.match(text, end):
        given = {name: P.cn_to_int(value) for name, value in more.groupdict().items() if value and name != "joiner"}
        if not given or not all(given.values()):  # nothing cited, or 第零条
            break
        end = more.end()
        last = cited[-1]
        if "article" in given:  # another article: 第十条和第十一条, 第十条至十二条
            this = (given["article"], given.get("extra"), given.get("paragraph"), given.get("point"))
        elif "paragraph" in given:  # another 款 of the article: 第十条第一款、第二款
            this = (last[0], last[1], given["paragraph"], given.get("point"))
        else:  # another 项: 第三十九条第一项至第三项
            this = (*last[:3], given["point"])
        level = next(index for index in (3, 2, 0) if this[index] is not None)  # the most specific part given
        # 第十条至第十二条, 第十条第一款至第三款: from one to the other at one level, under the same article and 款
        ranged = (bool(re.fullmatch(_RANGE, more.group("joiner"))) and last[level] is not None
                  and this[:level] == last[:level]
                  and not any(this[max(level + 1, 2):]) and not any(last[max(level + 1, 2):]))
        if ranged and (this[1] or last[1]):  # 第十条至第十五条之一: which articles between is not read
            return None
        if ranged:
            low, high = sorted((last[level], this[level]))
            cited.pop()
            cited.extend((*this[:level], each, *this[level + 1:])
                         for each in range(low, min(high, low + MAX_CITED_ARTICLES - 1) + 1))
        else:
            cited.append(this)
    if _UNREAD_MORE.match(text, end):
        return None
    articles = [f"art_{number}" + (f"-{extra}" if extra else "") for number, extra, _, _ in cited]
    parts = [rf"(?:^|__){article}" + (f"__para_{paragraph}" if paragraph else "")
             + (rf"(?:__para_\d+)?__point_{point}" if point else "") + "(?:__|$)"
             for article, (_, _, paragraph, point) in zip(articles, cited, strict=True)]
    return articles, parts


class _ShortTitles:
    """`short_title` over the library's titles, read once a question and only if a short name is looked up; each
    short name looked up once."""

    def __init__(self, titles: Callable[[], Iterable[str]]) -> None:
        self.titles = titles
        self.read: list[str] | None = None
        self.found: dict[str, str | None] = {}

    def title(self, short: str) -> str | None:
        if short not in self.found:
            if self.read is None:
                self.read = [title for title in self.titles() if title.endswith(SHORT_TITLE_GENRES)]
            self.found[short] = short_title(short, self.read)
        return self.found[short]


def short_title(short: str, titles: Iterable[str]) -> str | None:
    """The title of a law or regulation a short name stands for: 征管法 → 税收征收管理法, 个税法 → 个人所得税法,
    民诉法 → 民事诉讼法. Its characters come in the title's order, before the same genre word. A title holding the
    short name's words unbroken is another text: 劳动合同法 is no 合同法, which the library may lack. Titles that
    begin as the short name does come first (环保法: 环境保护法 and 环境保护税法, not 海洋环境保护法), the shortest of
    them; two as short are no answer."""
    genre = next((genre for genre in SHORT_TITLE_GENRES if short.endswith(genre)), None)
    if genre is None or len(short) < 3 or short.endswith("办法"):
        return None
    stem = short.removesuffix(genre)
    found = [title for title in titles if title.endswith(genre) and not title.endswith("办法")
             and stem not in title and _in_order(stem, title.removesuffix(genre))]
    found = sorted([title for title in found if title[0] == short[0]] or found, key=len)
    if not found or (len(found) > 1 and len(found[0]) == len(found[1])):
        return None
    return found[0]


def _in_order(characters: str, text: str) -> bool:
    rest = iter(text)
    return all(character in rest for character in characters)  # `in` on an iterator consumes it: kept in order


def blank(query: str) -> bool:
    """Nothing to search for: only spaces, or control characters (a NUL a client sent)."""
    return not CONTROL.sub("", query).strip()


def check_length(query: str) -> None:
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is longer than {MAX_QUERY_CHARS} characters, the most it may be: keep the "
                         "words that say what you look for")


def rule_words() -> set[str]:
    """What the rules are triggered by: the segmenter must know them as words, for a rule fires only on whole
    words of the question."""
    return {trigger for rule in rules() for trigger in rule.triggers}


def _terms(text: str, separator: str) -> tuple[str, ...]:
    return tuple(normalise(term.strip()) for term in text.split(separator) if term.strip())


def _word_bounded(trigger: str, text: str, bounds: set[int]) -> bool:
    """Does `trigger` occur in `text` as whole words ('民企' in '我们民企', not in '居民企业所得税')?"""
    start = text.find(trigger)
    while start >= 0:
        if start in bounds and start + len(trigger) in bounds:
            return True
        start = text.find(trigger, start + 1)
    return False


def answer_shape(text: str) -> re.Pattern | None:
    """One pattern for every kind of answer the question asks for, or None when it names none. Besides the kinds
    above, a count asked in the question's own measure word ('几所', '多少台', '几次') wants a number of it."""
    wanted = [pattern for triggers, pattern in ANSWER_SHAPES.values() if any(t in text for t in triggers)]
    units = sorted(set(_ASKED_COUNT.findall(text)))
    if units:
        wanted.append(rf"{_NUMBER}\s*(?:{'|'.join(units)})")
    return _compiled("|".join(wanted)) if wanted else None


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def understand(query: str, segmenter: Segmenter) -> QueryTerms:
    text = normalise(query)
    tokens = segmenter.jieba.cut(text)
    bounds = {0, *accumulate(map(len, tokens))}
    expansions: list[tuple[str, float]] = []
    for rule in rules():
        if any(_word_bounded(t, text, bounds) for t in rule.triggers):
            fresh = [term for term in rule.expansions if term not in text]
            # A rule adds at most about two words' worth of weight, however many words it lists.
            weight = EXPANSION_WEIGHT * min(1.0, 2 / max(1, len(fresh)))
            expansions += [(term, weight) for term in fresh]
    core = "".join(" " if token in STOP_WORDS else token for token in tokens).strip()
    terms = QueryTerms(core=core, answer=answer_shape(text),
                       unusual_words=[t for t in tokens if t not in STOP_WORDS and t not in STOPWORDS
                                      and _HAN_WORD.fullmatch(t) and not _NUMERAL.search(t)
                                      and segmenter.frequency(t) < EVERYDAY_FREQUENCY])
    terms.add(terms.words, segmenter.words(core, normalised=True), 1.0)
    terms.add(terms.grams, bigrams(core, normalised=True), 1.0)
    for expansion, weight in expansions:
        terms.add(terms.words, segmenter.words(expansion, normalised=True), weight)
        terms.add(terms.grams, bigrams(expansion, normalised=True), weight)
    if terms.empty:  # a query made only of padding ('怎么办'): search for what was typed
        terms.add(terms.words, segmenter.words(text, normalised=True), 1.0)
        terms.add(terms.grams, bigrams(text, normalised=True), 1.0)
    return terms
