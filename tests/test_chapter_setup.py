"""Every chapter's first code cell, run as in a notebook opened outside the repository (Colab, a download).

The cell must import the book's package when it is there, install it from
NNKERNEL_BOOK_SOURCE when it is not, else from the wheel on the book's site when
the build stamped the site's address into the cell (BOOK_SITE_URL, in the site's
downloadable copy), and otherwise stop with a message that says what to do.
"Not installed" is simulated by blocking the imports in a fresh interpreter; the
install is simulated by a stand-in for ``subprocess.run`` that records the pip
command and lifts the block, and the site by a stand-in for ``urlopen`` that
records the address and answers with a wheel's name.
(tests/test_editions.py installs a chapter for real from a served site.)
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
from edition import stamp_site_url

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
CHAPTERS = sorted(LESSONS.glob("*.ipynb"))

HARNESS = r"""
import io, json, subprocess, sys, urllib.request
for name in ("nnkernel", "widgets"):
    sys.modules[name] = None  # import nnkernel now raises ImportError, as where it is not installed
calls = []
def fake_run(args, check=False):
    calls.append(list(args))
    for name in ("nnkernel", "widgets"):
        del sys.modules[name]  # "installed"
subprocess.run = fake_run
opened = []
def fake_urlopen(url):
    opened.append(url)
    return io.BytesIO(b"nnkernel-0.1.0-py3-none-any.whl\n")
urllib.request.urlopen = fake_urlopen
exec(compile(SOURCE, "setup-cell", "exec"), {"__name__": "__main__"})
print("OPENED=" + json.dumps(opened))
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
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env,
                          cwd=LESSONS, timeout=120)


PIP = [sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
EXTRA = {"activations": ["mpmath"]}  # what a chapter imports beyond the package's dependencies


def test_there_are_chapters():
    assert len(CHAPTERS) >= 7


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_has_an_empty_site_address_to_fill_in(path):
    source = _setup_cell(path)
    assert source.count('BOOK_SITE_URL = ""') == 1
    assert stamp_site_url(source, "https://b.example/x").count('BOOK_SITE_URL = "https://b.example/x"') == 1


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_from_the_named_source(path):
    result = _run(_setup_cell(path), "git+https://git.example/book.git")
    assert result.returncode == 0, result.stderr[-2000:]
    calls = json.loads(result.stdout.split("CALLS=")[-1])
    assert calls == [PIP + ["git+https://git.example/book.git", *EXTRA.get(path.stem, [])]]
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stamped_first_cell_installs_the_sites_wheel(path):
    source = stamp_site_url(_setup_cell(path), "https://book.example/course/")
    result = _run(source, None)
    assert result.returncode == 0, result.stderr[-2000:]
    opened = json.loads(result.stdout.split("OPENED=")[-1].splitlines()[0])
    assert opened == ["https://book.example/course/wheels/nnkernel-latest.txt"]
    calls = json.loads(result.stdout.split("CALLS=")[-1])
    wheel = "https://book.example/course/wheels/nnkernel-0.1.0-py3-none-any.whl"
    assert calls == [PIP + [wheel, *EXTRA.get(path.stem, [])]]


@pytest.mark.parametrize("path", CHAPTERS[:1], ids=lambda p: p.stem)
def test_named_source_wins_over_the_site(path):
    source = stamp_site_url(_setup_cell(path), "https://book.example/course/")
    result = _run(source, "/some/checkout")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.split("OPENED=")[-1].splitlines()[0]) == []
    assert json.loads(result.stdout.split("CALLS=")[-1])[0][len(PIP)] == "/some/checkout"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_without_a_source_says_what_to_do(path):
    result = _run(_setup_cell(path), None)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "NNKERNEL_BOOK_SOURCE" in result.stderr
    assert "pip install -e ." in result.stderr and "book's site" in result.stderr
    assert "CALLS=" not in result.stdout  # nothing was installed
