"""A small edition of the book (the introduction and a few chapters) for tests of the edition's pages.

``build_mini_book(out_dir, chapters=("lessons/ewma",), env=None)`` builds the HTML into
``out_dir/_build/html`` and returns that folder.  The chapters are not executed (their stored outputs are
shown, ``execute_notebooks: off``), so a one-chapter book builds in well under a minute.  The
configuration is the real _config.yml with only that and the table of contents changed, written into
``out_dir``.  The references page comes too (the chapters cite); links to the chapters and pages left
out are build warnings, so this build is not run with -W (``make book`` is).

``env``: the edition's BOOK_* settings (book/_ext/edition.py); None keeps this process's BOOK_*
variables, a dict replaces them all (``{}``: an edition with no public address).

    .venv/bin/python book/tools/mini_book.py OUT_DIR [lessons/ewma ...] [--set BOOK_SITE_URL=...]
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def _write_config(out_dir, chapters):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    # Jupyter Book finds local extensions relative to the configuration file's folder
    extensions = config["sphinx"]["local_extensions"]
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in extensions.items()}
    toc = {"format": "jb-book", "root": "book/intro",
           "parts": [{"caption": "Chapters", "chapters": [{"file": c} for c in chapters]},
                     {"caption": "Back matter", "chapters": [{"file": "book/references"}]}]}
    config_path, toc_path = out_dir / "_mini_config.yml", out_dir / "_mini_toc.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    return config_path, toc_path


def build_mini_book(out_dir, chapters=("lessons/ewma",), env=None):
    """Build the introduction and ``chapters`` into ``out_dir``; return the HTML folder."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path, toc_path = _write_config(out_dir, chapters)
    build_env = dict(os.environ)
    if env is not None:
        build_env = {k: v for k, v in build_env.items() if not k.startswith("BOOK_")}
        build_env.update({k: str(v) for k, v in env.items()})
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", "--keep-going", "--path-output", str(out_dir),
         "--config", str(config_path), "--toc", str(toc_path), "."],
        check=False, cwd=ROOT, env=build_env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"mini book build failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                           f"{result.stderr[-4000:]}")
    return out_dir / "_build" / "html"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build a small edition of the book (no execution).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("chapters", nargs="*", default=["lessons/ewma"])
    parser.add_argument("--set", action="append", default=None, metavar="BOOK_KEY=value",
                        help="the edition's settings (replace this process's BOOK_* variables)")
    args = parser.parse_args(argv)
    env = None if args.set is None else dict(item.split("=", 1) for item in args.set)
    print(build_mini_book(args.out_dir, tuple(args.chapters), env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
