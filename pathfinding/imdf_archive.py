"""Reading an IMDF archive: its feature files, the labels in them, and the units found."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from .validation import MapReport

# A zip of a few hundred KB can inflate to gigabytes; a real campus is tens of MB of GeoJSON.
MAX_INFLATED_BYTES = 256 * 2**20


def read_archive(path: Path, report: MapReport) -> dict[str, list[dict[str, Any]]]:
    """Feature lists by file stem (``unit``, ``level``...), from a folder or a zip."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for f in path.rglob("*.geojson"):
            raw[f.stem] = f.read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = [
                i for i in z.infolist() if i.filename.endswith(".geojson") and "__MACOSX" not in i.filename
            ]
            inflated = sum(i.file_size for i in members)  # zipfile never reads past these sizes
            if inflated > MAX_INFLATED_BYTES:
                limit = MAX_INFLATED_BYTES // 2**20
                message = f"the archive inflates to {inflated // 2**20} MiB; at most {limit} MiB"
                report.error("too_large", message, [str(path.name)])
                return {}
            for member in members:
                raw[Path(member.filename).stem] = z.read(member)
    else:
        report.error("unreadable", f"{path} is neither a folder nor a zip archive", [str(path)])
        return {}
    files: dict[str, list[dict[str, Any]]] = {}
    for stem, data in raw.items():
        try:
            features = json.loads(data).get("features") or []
        except (ValueError, AttributeError, RecursionError):
            features = None
        if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
            report.error("unreadable", f"{stem}.geojson is not a GeoJSON feature collection", [stem])
            continue
        files[stem] = features
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
