"""notifications stands alone: it never imports the web layer or the journey domain."""

import subprocess
import sys
from pathlib import Path


def test_notifications_imports_neither_api_nor_navigation() -> None:
    code = (
        "import sys, notifications, notifications.transports.fcm, notifications.transports.log\n"
        "leaks = [m for m in sys.modules if m.split('.')[0] in ('api', 'navigation')]\n"
        "assert not leaks, leaks\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
