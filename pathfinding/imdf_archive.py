"""Reading an IMDF archive: its feature files, the labels in them, and the units found."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from .validation import MapReport


def read_archive(path: Path, report: MapReport) -> dict[str, list[dict[str, Any]]]:
    """Feature lists by file stem (``unit``, ``level``...), from a folder or a zip."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for f in path.rglob("*.geojson"):
            raw[f.stem] = f.read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".geojson") and not name.startswith("__MACOSX"):
                    raw[Path(name).stem] = z.read(name)
    else:
        report.error("unreadable", f"{path} is neither a folder nor a zip archive", [str(path)])
        return {}
    files: dict[str, list[dict[str, Any]]] = {}
    for stem, data in raw.items():
        try:
            files[stem] = list(json.loads(data).get("features") or [])
        except (ValueError, AttributeError):
            report.error("unreadable", f"{stem}.geojson is not a GeoJSON feature collection", [stem])
    for needed in ("level", "unit", "opening"):
        if needed not in files:
            report.error("nothing_walkable", f"the archive has no {needed}.geojson", [needed])
    return files


def text_of(value: Any, lang: str) -> str:
    """A label from an IMDF language map ({"en": ..., "zh": ...})."""
    if not isinstance(value, dict):
        return ""
    if lang == "zh":
        return str(next((v for k, v in value.items() if k.lower().startswith("zh")), ""))
    return str(value.get("en") or next(iter(value.values()), ""))


@dataclass
class Unit:
    id: str
    category: str
    level: str
    geom: BaseGeometry  # projected
    point: tuple[float, float]
    name_en: str = ""
    name_zh: str = ""
    openings: list[str] = field(default_factory=list)
