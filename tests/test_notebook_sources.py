"""Every notebook's text is clean: no control characters in sources or text outputs, and code that
fits the page.

A "\\alpha" written in a non-raw Python string becomes BEL + "lpha", which MathJax shows as a red
"Math input error" on the published page; this catches it before the book is built.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ("lessons", "book", "demos") for p in (ROOT / d).glob("*.ipynb"))
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all C0 controls but tab, newline, return


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _texts(nb):
    for i, cell in enumerate(nb["cells"]):
        yield f"cell {i} source", _text(cell["source"])
        for out in cell.get("outputs", []):
            if "text" in out:
                yield f"cell {i} {out.get('name', 'stream')}", _text(out["text"])
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/"):
                    yield f"cell {i} {mime}", _text(value)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.relative_to(ROOT).as_posix() for p in NOTEBOOKS])
def test_no_control_characters(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = [(where, repr(m.group()), text[max(m.start() - 20, 0):m.end() + 20])
             for where, text in _texts(nb) for m in CONTROL.finditer(text)]
    assert found == [], found


def test_code_lines_fit_the_page():
    """Every code line of every notebook is at most 80 characters (ruff's E501), so none is cut off in
    the book's column (about 84 monospace characters at 1280 px)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "E501",
         "--line-length", "80", "--output-format", "concise", *map(str, NOTEBOOKS)],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


CHAPTERS = sorted((ROOT / "lessons").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_figure_has_alt_text(path):
    """Each figure's alt text (MyST-NB's cell metadata mystnb.image.alt, written in the cell that draws
    it) says what it shows, not the name of a file."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    missing = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        if len(alt) < 60 or ".png" in alt:
            missing.append((i, alt[:60]))
    assert missing == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_colours_written_in_chapters_show_on_both_pages(path):
    """A colour a chapter writes as a hex literal reaches 3:1 against the white figure background and,
    drawn for the dark page (widgets/dark.py), against the dark one (WCAG 2.1, 1.4.11); colour maps
    whose ends vanish on one of the two backgrounds (viridis' yellow on white) are not used for lines."""
    import numpy as np
    from matplotlib.colors import to_hex, to_rgb

    from test_style import contrast
    from widgets import dark

    nb = json.loads(path.read_text(encoding="utf-8"))
    weak = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = _text(cell["source"])
        for colour in re.findall(r"[\"'](#[0-9A-Fa-f]{6})[\"']", source):
            drawn = to_hex(dark.dark_colours(np.array(to_rgb(colour))))
            if contrast(colour, "white") < 3 or contrast(drawn, dark.BACKGROUND) < 3:
                weak.append((i, colour))
        weak += [(i, m) for m in re.findall(r"cm\.(?:viridis|plasma|inferno|magma|cividis)\(", source)]
    assert weak == []
