"""axe-core, the accessibility checker, from the npm registry into a cache outside the repository
(fetched once with `npm pack`; None when neither the cache nor npm can provide it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

AXE_VERSION = "4.14.1"
CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "carepath" / f"axe-core-{AXE_VERSION}"
)


def axe_script() -> Path | None:
    script = CACHE / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        packed = subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(CACHE)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    archive = CACHE / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        member = tar.extractfile("package/axe.min.js")
        if member is None:
            return None
        partial = script.with_suffix(".part")
        partial.write_bytes(member.read())
        partial.replace(script)  # never a half-written script for a concurrent run
    archive.unlink()
    return script
