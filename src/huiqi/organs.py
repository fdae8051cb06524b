"""Central issuing organs (发文机关): full names and the short names 公文 and people use for them.

Used to split a run of organ names in a title ("国家发展改革委国家能源局关于…"), to tell a national document
from a local one, and (by search) to expand 发改委 ↔ 国家发展改革委 ↔ 国家发展和改革委员会 and to match an issuer
filter however the organ is named ('省工信厅' finds 江苏省工业和信息化厅).
The first name of each row is the full name; names are as the State Council's own documents print them.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from huiqi import regions

STATE_PREFIX = "中华人民共和国"  # printed before some organs' names: 中华人民共和国海关总署
CENTRAL_ORGANS: tuple[tuple[str, ...], ...] = (
    ("中共中央", "党中央"),
    ("国务院",),
    ("政务院",),  # the State Council's name from 1949 to 1954, on the oldest laws
    ("中共中央办公厅", "中办"),
    ("国务院办公厅", "国办"),
    ("全国人民代表大会常务委员会", "全国人大常委会"),
    ("全国人民代表大会", "全国人大"),
    ("最高人民法院", "最高法"),
    ("最高人民检察院", "最高检"),
    ("中央军事委员会", "中央军委"),
    ("国家发展和改革委员会", "国家发展改革委", "国家发改委", "发展改革委", "发改委"),
    ("工业和信息化部", "工信部"),
    ("财政部",),
    ("人力资源和社会保障部", "人力资源社会保障部", "人社部"),
    ("商务部",),
    ("科学技术部", "科技部"),
    ("教育部",),
    ("自然资源部",),
    ("生态环境部", "环境保护部", "环保部"),
    ("住房和城乡建设部", "住房城乡建设部", "住建部"),
    ("交通运输部", "交通部"),
    ("水利部",),
    ("农业农村部", "农业部"),
    ("文化和旅游部", "文旅部"),
    ("国家卫生健康委员会", "国家卫生健康委", "国家卫健委", "卫生健康委", "卫健委"),
    ("应急管理部", "应急部"),
    ("民政部",),
    ("司法部",),
    ("公安部",),
    ("退役军人事务部",),
    ("中国人民银行", "人民银行", "人行", "央行"),
    ("审计署",),
    ("国务院国有资产监督管理委员会", "国务院国资委", "国资委"),
    ("海关总署",),
    ("国家税务总局", "税务总局"),
    ("国家市场监督管理总局", "国家市场监管总局", "市场监管总局"),
    ("国家金融监督管理总局", "国家金融监管总局", "金融监管总局"),
    ("中国证券监督管理委员会", "中国证监会", "证监会"),
    ("国家统计局", "统计局"),
    ("国家知识产权局", "知识产权局"),
    ("国家能源局", "能源局"),
    ("国家邮政局", "邮政局"),
    ("国家林业和草原局", "国家林草局", "林草局"),
    ("国家中医药管理局", "国家中医药局"),
    ("国家疾病预防控制局", "国家疾控局"),
    ("国家矿山安全监察局", "国家矿山安监局", "矿山安监局"),
    ("国家机关事务管理局", "国管局"),
    ("国家医疗保障局", "国家医保局", "医保局"),
    ("国家数据局",),
    ("国家乡村振兴局",),
    ("国家外汇管理局", "外汇局"),
    ("国家广播电视总局", "广电总局"),
    ("国家民族事务委员会", "国家民委"),
    ("国家国防科技工业局", "国防科工局"),
    ("国家铁路局",),
    ("中国民用航空局", "民航局"),
    ("中央网络安全和信息化委员会办公室", "中央网信办", "网信办"),
    ("中央金融委员会办公室", "中央金融办"),
    ("国务院安全生产委员会", "国务院安委会"),
    ("国务院反垄断反不正当竞争委员会",),
    ("中华全国总工会", "全国总工会"),
    ("中国共产主义青年团中央委员会", "共青团中央", "团中央"),
    ("中华全国供销合作总社", "供销合作总社", "供销总社"),
    ("中华全国工商业联合会", "全国工商联"),
    ("中国科学院", "中科院"),
    ("中国工程院",),
    ("中国残疾人联合会", "中国残联"),
)

_ALL_NAMES = sorted({name for row in CENTRAL_ORGANS for name in row}, key=len, reverse=True)
# Sub-units of a central organ are central too: 国家卫生健康委办公厅, 国家疾控局综合司.
_SUBUNIT = r"(?:办公厅|办公室|综合司|[\u4e00-\u9fff]{1,6}司)?"


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Every name → all names of the same organ."""
    return {name: row for row in CENTRAL_ORGANS for name in row}


def is_central(name: str) -> bool:
    name = name.strip()
    return any(re.fullmatch(re.escape(known) + _SUBUNIT, name) for known in _ALL_NAMES)


@cache
def _central_prefix() -> re.Pattern:
    return re.compile("(?:" + "|".join(map(re.escape, _ALL_NAMES)) + ")" + _SUBUNIT)


def split_organs(text: str) -> list[str]:
    """'国家发展改革委国家统计局国家能源局' → three names; spaces separate names too. A central organ followed
    by a place is one name, its local branch ('国家税务总局宁波市税务局', '中国人民银行江苏省分行'); local names
    stay whole ('江苏省财政厅')."""
    names: list[str] = []
    for part in text.split():
        while part:
            match = _central_prefix().match(part)
            if match and (match.end() == len(part) or _central_prefix().match(part, match.end())):
                names.append(match.group(0))
                part = part[match.end():]
                continue
            names.append(part)
            break
    return names


# Short names of local departments → their full names, as a province or city prints them: 省工信厅 is the
# 工业和信息化厅, 市人社局 the 人力资源和社会保障局.
LOCAL_SHORT_NAMES = {
    "发改委": "发展和改革委员会", "发展改革委员会": "发展和改革委员会", "发展改革委": "发展和改革委员会",
    "工信委": "工业和信息化委员会", "经信委": "经济和信息化委员会", "住建委": "住房和城乡建设委员会",
    "卫健委": "卫生健康委员会", "卫生健康委": "卫生健康委员会", "国资委": "国有资产监督管理委员会",
    "工信": "工业和信息化", "经信": "经济和信息化", "人社": "人力资源和社会保障",
    "人力资源社会保障": "人力资源和社会保障", "科技厅": "科学技术厅", "科技局": "科学技术局", "住建": "住房和城乡建设",
    "住房城乡建设": "住房和城乡建设", "市场监管局": "市场监督管理局", "文旅": "文化和旅游", "应急厅": "应急管理厅",
    "应急局": "应急管理局", "交通厅": "交通运输厅", "交通局": "交通运输局",
}
# A short name ending in 委 is one only where 员会 does not follow: 卫生健康委员会 is already whole.
_LOCAL_SHORT = re.compile("|".join(re.escape(short) + ("(?!员会)" if short.endswith("委") else "")
                                   for short in sorted(LOCAL_SHORT_NAMES, key=len, reverse=True)))
# A bare level word standing for a place ('省财政厅' is a province's; not the 市 of 市场监督管理局, nor the 区 of 区域).
_BARE_LEVEL = re.compile(r"^(?:省|自治区|市(?!场)|县|区(?!域))")
# What kind of place a name says it is: 市 for 北京市, 苏州市 and 昆山市 alike, for that is what 市政府 means.
_PLACE_KIND = re.compile(r"(?:自治区|自治州|自治县|特别行政区|省|市|县|区|州|盟|旗)$")
_LEVEL_ORDER = ("national", "provincial", "municipal", "county")
_KIND_LEVEL = {"省": "provincial", "自治区": "provincial", "市": "municipal", "县": "county", "区": "county"}
_SUBUNIT_END = re.compile(r"(?:办公厅|办公室|综合司)$")


def starts_central(name: str) -> bool:
    """Does a name begin with a central organ's (最高人民检察院第九届检察委员会, 中华人民共和国海关总署)?"""
    return bool(_central_prefix().match(name.removeprefix(STATE_PREFIX)))


def canonical(name: str) -> str:
    """One spelling for every way an organ is named: a central organ's full name (发改委, 国家发改委 →
    国家发展和改革委员会; 人民银行江苏省分行 → 中国人民银行江苏省分行), a local department's full name (江苏省工信厅 →
    江苏省工业和信息化厅, 江苏省政府 → 江苏省人民政府, 中共江苏省委 → 江苏省委)."""
    name = re.sub(r"\s+", "", name)
    # 中华人民共和国国务院 is the 国务院, 中华人民共和国国家安全部 the 国家安全部
    if len(name) > len(STATE_PREFIX) + 1 and not name.startswith("主席", len(STATE_PREFIX)):
        name = name.removeprefix(STATE_PREFIX)
    for alias in _ALL_NAMES:  # longest first
        if name.startswith(alias):
            return synonyms()[alias][0] + name[len(alias):]
    name = _LOCAL_SHORT.sub(lambda match: LOCAL_SHORT_NAMES[match.group(0)], name.removeprefix("中共"))
    return re.sub(r"(?<!人民)政府", "人民政府", name)


def _split_place(name: str) -> tuple[str, str]:
    """The place a name starts with ('江苏省苏州市', '江苏', or a bare '省') and the rest."""
    place, rest = "", name
    while (found := regions.leading(rest) or (match.group(0) if (match := _BARE_LEVEL.match(rest)) else "")):
        place, rest = place + found, rest[len(found):]
        if found[-1] in "市区" and rest[:1] in ("场", "域"):  # 张家港市场监管局: the 市 begins 市场 too
            return place, found[-1] + rest
    return place, rest


@lru_cache(maxsize=4096)  # asked for each passage a document indexes
def issuer_keys(name: str, home: regions.Region | None = None) -> frozenset[str]:
    """Every key an issuer filter may find an organ by (`issuer_key` is the one a filter value gives): its canonical
    name; '320000/财政厅' for the 财政厅 of 江苏 (江苏省财政厅, 江苏财政厅); '省/财政厅' for a province's (省财政厅);
    '财政厅' for any place's. A bare 省财政厅 printed in a document of `home` (苏州市) is the 财政厅 of home's province.
    A central organ's local branch is also known by its local names (国家税务总局江苏省税务局: 江苏省税务局;
    中国证券监督管理委员会江苏监管局: 江苏证监局), and an office by its organ's (自然资源部办公厅: 自然资源部)."""
    full, central, places, kind, department = _parts(name, home)
    keys = {full, _SUBUNIT_END.sub("", full) or full}
    if not department:
        return frozenset(keys)
    departments = {department, _SUBUNIT_END.sub("", department) or department}
    if central:  # 证监会's 江苏监管局 is the 江苏证监局, 金融监管总局's the 江苏金融监管局
        departments.add(central + department)
        if department.endswith("局"):
            departments |= {re.sub(r"(?:总局|委员会|会)$", "局", alias) for alias in synonyms()[central]
                            if re.search(r"(?:总局|会)$", alias)}
    for each in departments - {""}:
        keys |= {each, *(f"{place.code}/{each}" for place in places), *([f"{kind}/{each}"] if kind else [])}
    return frozenset(keys)


def issuer_key(value: str) -> list[str]:
    """The keys a filter value finds organs by, any one enough: the place it names (each place of that name:
    鼓楼区 is in four cities), else the kind of place (省, 市), and the department; a central organ's branch stays that
    organ's (江苏证监局 is not 江苏金融监管局)."""
    full, central, places, kind, department = _parts(value)
    if department and not (central or places or kind) and (spelled := _county_in_full(value)):
        return issuer_key(spelled)
    if not department:
        return [full]
    department = central + department  # a branch is its organ's
    if places:
        return [f"{place.code}/{department}" for place in places]
    return [f"{kind}/{department}" if kind else department]


def _county_in_full(value: str) -> str | None:
    """'吴中财政局' → '吴中区财政局', '昆山政府' → '昆山市政府': a county named by its short name, as people type it
    (never read so from a document, where a county's short name is too often a common word)."""
    for length in (2, 3):
        head, rest = value[:length], value[length:]
        found = regions.meant(head) if len(rest) >= 2 and not regions.named(head) else ()
        if found:
            return found[0].name + rest
    return None


def _parts(name: str, home: regions.Region | None = None) -> tuple[str, str, list[regions.Region], str, str]:
    """A name as (canonical name, the central organ it is a branch of, the places it may be of, the kind of place,
    the department); the department is '' for a central organ itself and for a name whose place is nearly all of
    it. A place named alone may be any of that name (鼓楼区), or the one inside `home`."""
    full = canonical(name)
    central = next((alias for alias in _ALL_NAMES if full.startswith(alias)), "")
    local = full[len(central):]
    if central and not regions.leading(local):
        return full, "", [], "", ""
    place, department = _split_place(local)
    if len(department) < 2 and department != "委":  # 江苏省委 is a party committee, 江苏省 no organ
        return full, "", [], "", ""
    named = regions.leading(place)
    if not named:  # a bare 省 or 市, or no place at all
        bare = _at_level(home, _KIND_LEVEL.get(place, ""))
        return full, central, [bare] if bare else [], place, department
    if named == place:
        places = list(regions.named(place))
        inside = [each for each in places if home and home.code != regions.NATIONAL_CODE
                  and regions.within(each, regions.containing(home, "municipal") or home)]
        places = inside or places
    else:
        places = [found] if (found := regions.locate(place)) else []
    kinds = {match.group(0) for each in places if (match := _PLACE_KIND.search(each.name))}
    return full, central, places, kinds.pop() if len(kinds) == 1 else "", department


def _at_level(home: regions.Region | None, level: str) -> regions.Region | None:
    """The region of `level` that `home` lies in (the province of 苏州市), if there is one."""
    if home is None or level not in _LEVEL_ORDER or _LEVEL_ORDER.index(home.level) < _LEVEL_ORDER.index(level):
        return None
    return home if home.level == level else regions.containing(home, level)
