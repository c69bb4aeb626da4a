"""Every chapter's first code cell, run as in a notebook opened outside the repository (Colab, a download).

The cell must import the book's package when it is there, install it from
NNKERNEL_BOOK_SOURCE when it is not, and otherwise stop with a message that says
what to do.  "Not installed" is simulated by blocking the imports in a fresh
interpreter; the install is simulated by a stand-in for ``subprocess.run``
that records the pip command and lifts the block.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
CHAPTERS = sorted(LESSONS.glob("*.ipynb"))

HARNESS = r"""
import json, subprocess, sys
for name in ("nnkernel", "widgets"):
    sys.modules[name] = None  # import nnkernel now raises ImportError, as where it is not installed
calls = []
def fake_run(args, check=False):
    calls.append(list(args))
    for name in ("nnkernel", "widgets"):
        del sys.modules[name]  # "installed"
subprocess.run = fake_run
exec(compile(SOURCE, "setup-cell", "exec"), {"__name__": "__main__"})
print("CALLS=" + json.dumps(calls))
"""


def _setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def _run(source, env_source):
    env = {k: v for k, v in os.environ.items() if k != "NNKERNEL_BOOK_SOURCE"}
    env["MPLBACKEND"] = "Agg"
    if env_source is not None:
        env["NNKERNEL_BOOK_SOURCE"] = env_source
    code = "SOURCE = " + repr(source) + "\n" + HARNESS
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=LESSONS,
                          timeout=120)


def test_there_are_chapters():
    assert len(CHAPTERS) >= 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_from_the_named_source(path):
    result = _run(_setup_cell(path), "git+https://git.example/book.git")
    assert result.returncode == 0, result.stderr[-2000:]
    calls = json.loads(result.stdout.split("CALLS=")[-1])
    assert calls == [[sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check",
                      "git+https://git.example/book.git"]]
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_without_a_source_says_what_to_do(path):
    result = _run(_setup_cell(path), None)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "NNKERNEL_BOOK_SOURCE" in result.stderr
    assert "pip install -e ." in result.stderr
    assert "CALLS=" not in result.stdout  # nothing was installed
