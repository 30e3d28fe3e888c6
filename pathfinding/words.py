"""How places, floors and buildings are named to a patient, in English and Chinese.

A map often names a place in one language only (an IMDF campus in English, a Chinese
hospital in Chinese): each phrase falls back to the other language, then to the room number
or code, so a sentence never has an empty slot.
"""

from __future__ import annotations

import re

from .model import Building, Node, SiteMap

#: What a room of each category is called when the map gives it no name.
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "restroom": ("the restroom", "洗手间"),
    "information": ("the information desk", "咨询台"),
    "cafe": ("the café", "咖啡厅"),
    "pharmacy": ("the pharmacy", "药房"),
    "payment": ("the payment desk", "收费处"),
    "consulting": ("the consulting room", "诊室"),
    "waiting": ("the waiting area", "候诊区"),
    "registration": ("the registration desk", "挂号处"),
    "exam": ("the examination room", "检查室"),
    "laboratory": ("the laboratory", "检验科"),
    "shop": ("the shop", "商店"),
    "nursing": ("the nurses' station", "护士站"),
    "office": ("the office", "办公室"),
    "other": ("", ""),
}

_NUMBERED = re.compile(r"^(?:[LF]\s*)?(\d+)\s*(?:F|/F|楼|层)?$", re.IGNORECASE)
_BASEMENT = re.compile(r"^(?:B|-)\s*(\d+)\s*F?$", re.IGNORECASE)
_GROUND = frozenset({"g", "gf", "ground", "ground floor"})


def _clean(text: str) -> str:
    return " ".join(text.split())


def _ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def join_zh(*parts: str) -> str:
    """Glue Chinese phrases, with a space only where two Latin words or numbers would touch
    ("Main building 2楼", "门诊楼2楼")."""
    out = ""
    for part in (p for p in parts if p):
        if out and _ascii_word_char(out[-1]) and _ascii_word_char(part[0]):
            out += " "
        out += part
    return out


def building_words(site: SiteMap, code: str) -> tuple[str, str]:
    b: Building | None = site.buildings.get(code)
    en = _clean(b.name_en) if b else ""
    zh = _clean(b.name_zh) if b else ""
    if not en:
        en = zh or f"Building {code}"
    if not zh:
        zh = _clean(b.name_en) if b and b.name_en.strip() else f"{code}楼"
    return en, zh


def floor_words(name: str) -> tuple[str, str]:
    """("floor 2F", "2楼"): Chinese says 楼/层 once, basements as 地下N层."""
    name = _clean(name)
    if m := _NUMBERED.match(name):
        zh = f"{int(m.group(1))}楼"
    elif m := _BASEMENT.match(name):
        zh = f"地下{int(m.group(1))}层"
    elif name.lower() in _GROUND:
        zh = "首层"
    elif name.endswith(("楼", "层")):
        zh = name
    else:
        zh = f"{name}层"
    return f"floor {name}", zh


def floor_of_building(site: SiteMap, node: Node, with_building: bool = True) -> tuple[str, str]:
    """("floor 2F of Outpatient Building", "门诊楼2楼"), or only the floor."""
    f_en, f_zh = floor_words(node.floor)
    if not with_building:
        return f_en, f_zh
    b_en, b_zh = building_words(site, node.building)
    return f"{f_en} of {b_en}", join_zh(b_zh, f_zh)


def name_words(node: Node) -> tuple[str, str]:
    """What the place is called, each language falling back to the other, then to its
    category ("the pharmacy"); empty when the map says nothing about it."""
    en = _clean(node.name_en) or _clean(node.landmark_en)
    zh = _clean(node.name_zh) or _clean(node.landmark_zh)
    cat_en, cat_zh = CATEGORY_WORDS.get(node.category, ("", ""))
    return en or zh or cat_en, zh or en or cat_zh


def landmark_words(node: Node) -> tuple[str, str]:
    """Something a patient sees at a node: its landmark, else its name, else its category."""
    en = _clean(node.landmark_en) or _clean(node.name_en)
    zh = _clean(node.landmark_zh) or _clean(node.name_zh)
    cat_en, cat_zh = CATEGORY_WORDS.get(node.category, ("", ""))
    return en or zh or cat_en, zh or en or cat_zh


def place_words(node: Node) -> tuple[str, str]:
    """A named place with its room number ("Ultrasound room 3 (B2-03)"), else the number."""
    en, zh = name_words(node)
    return (
        f"{en} ({node.id})" if en and en != node.id else node.id,
        f"{zh}（{node.id}）" if zh and zh != node.id else node.id,
    )
