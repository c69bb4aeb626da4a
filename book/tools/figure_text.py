"""How large each chapter figure's smallest text will be on the published page, without building the book.

    .venv/bin/python book/tools/figure_text.py lessons/ewma.ipynb [more notebooks]

Runs each notebook as the book build does (``NNK_FIGURE_SIDECAR`` set: widgets/dark.py records every
figure's smallest font size and resolution), then prints, per figure, the cell, its natural width and
its smallest text in CSS px at the page's column width (``COLUMN_PX``, measured in Chromium at a
1300 px window): ``pt * dpi / 72 * min(1, column / natural width)``.  The browser suite checks the same
figures on the built pages (tests/browser/test_figure_text.py); the goal there is 9 px.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

COLUMN_PX = 704
GOAL_PX = 9.0


def measure(path: Path) -> list[tuple[int, int, float]]:
    """(cell index, natural width, smallest text px on the page) for every figure ``path`` shows."""
    import nbformat
    from nbclient import NotebookClient
    from PIL import Image

    with tempfile.TemporaryDirectory() as sidecar:
        os.environ["NNK_FIGURE_SIDECAR"] = sidecar
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=900, resources={"metadata": {"path": str(path.parent)}}).execute()
        out = []
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("image/png")
                if not data:
                    continue
                png = base64.b64decode(data)
                meta = Path(sidecar) / (hashlib.sha256(png).hexdigest() + ".json")
                if not meta.exists():
                    continue
                facts = json.loads(meta.read_text())
                width = Image.open(io.BytesIO(png)).width
                px = facts["font_pt"] * facts["dpi"] / 72 * min(1.0, COLUMN_PX / width)
                out.append((index, width, px))
    return out


def main(paths: list[str]) -> int:
    small = 0
    for name in paths:
        for index, width, px in measure(Path(name)):
            flag = "" if px >= GOAL_PX else f"   < {GOAL_PX:g} px"
            small += px < GOAL_PX
            print(f"{name} cell {index:3d}: {width:5d} px wide, smallest text {px:4.1f} px{flag}")
    return 1 if small else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
