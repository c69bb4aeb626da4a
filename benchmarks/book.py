"""Wall time of building the whole book from a clean _build, and of nbval over every chapter."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _timed(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0, proc.returncode


def run(results):
    shutil.rmtree(os.path.join(ROOT, "_build"), ignore_errors=True)
    jb = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    secs, rc = _timed([jb, "build", "-W", "--keep-going", "."])
    results.add("book", "jupyter-book build from clean (all chapters executed)", secs, "s", goal=180,
                direction="max", section="book", ok=rc == 0)
    secs, rc = _timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "lessons"])
    results.add("book", "nbval over every chapter", secs, "s", goal=120, direction="max", section="book", ok=rc == 0)
