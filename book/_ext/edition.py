"""The book's edition: where this copy of the book is published and where its chapters can be run.

One configuration, read when the book is built: the environment variables below, with defaults from
book/edition.env (KEY=value lines, all empty there).  A course sets them for its build, e.g.
``BOOK_SITE_URL=https://course.example/book make book``.

- BOOK_REPOSITORY_URL     public git URL of the book's repository
- BOOK_REPOSITORY_BRANCH  its branch (main when empty)
- BOOK_SITE_URL           where the built book is published
- BOOK_JUPYTERHUB_URL     a JupyterHub with nbgitpuller (the chapters are pulled from the repository)
- BOOK_BINDERHUB_URL      a BinderHub, e.g. https://mybinder.org
- BOOK_COLAB              1 to offer Colab (needs a github.com repository)

Every chapter page (lessons/*) gets a "Run this chapter" bar below its title: one link per place that is
configured (JupyterHub, Binder, Colab) and the notebook's download (whose copy knows the site).  The links are written here, not by
sphinx-book-theme, whose launch buttons accept only GitHub, GitLab and Bitbucket repositories (a course's
own git server and the tests' local one would be a build warning, and the book builds with -W).  Each link
is an ``<a class="nnk-launch" data-launch="jupyterhub|binder|colab|download">`` with an accessible name
that contains its visible text.  With nothing configured there is no bar (the theme's download button
stays).

After an HTML build, the package (nnkernel and widgets) is built into a wheel in ``wheels/`` of the site,
with ``wheels/nnkernel-latest.txt`` naming it and ``wheels/index.html`` listing it (pip --find-links),
and each chapter's downloadable copy (``_sources/lessons/*.ipynb``) gets the site's address in its first
cell (``BOOK_SITE_URL = ""`` becomes the configured address), so a downloaded or Colab copy installs
the package from the site.  ``python book/_ext/edition.py stamp lessons/*.ipynb`` writes the address into
the chapters themselves (for the branch Colab opens, which is the repository's copy).
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
EDITION_FILE = ROOT / "book" / "edition.env"
KEYS = ("BOOK_REPOSITORY_URL", "BOOK_REPOSITORY_BRANCH", "BOOK_SITE_URL", "BOOK_JUPYTERHUB_URL",
        "BOOK_BINDERHUB_URL", "BOOK_COLAB")
CHAPTER_PREFIX = "lessons/"
COLAB_URL = "https://colab.research.google.com"
WHEELS = "wheels"
LATEST = "nnkernel-latest.txt"
SITE_LINE = re.compile(r'^BOOK_SITE_URL = "[^"\n]*"', re.MULTILINE)


def read_edition(environ=None, path=EDITION_FILE):
    """The edition's settings: each BOOK_* variable from the environment, else from book/edition.env."""
    environ = os.environ if environ is None else environ
    values = dict.fromkeys(KEYS, "")
    if Path(path).exists():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = (part.strip() for part in line.split("=", 1))
                if key in values:
                    values[key] = value.strip("'\"")
    for key in KEYS:
        if key in environ:
            values[key] = environ[key].strip()
    values["BOOK_REPOSITORY_BRANCH"] = values["BOOK_REPOSITORY_BRANCH"] or "main"
    return values


def _github_parts(repo_url):
    """(org, repo) of a github.com repository URL, else None."""
    parts = urlsplit(repo_url)
    path = parts.path.strip("/").split("/")
    if parts.scheme in ("http", "https") and parts.netloc.lower() == "github.com" and len(path) >= 2:
        return path[0], path[1].removesuffix(".git")
    return None


def launch_links(edition, chapter):
    """{kind: URL} of the launch links for a chapter (``lessons/ewma``), for what the edition configures."""
    repo = edition["BOOK_REPOSITORY_URL"].strip()
    branch = edition["BOOK_REPOSITORY_BRANCH"] or "main"
    notebook = f"{chapter}.ipynb"
    links = {}
    if not repo:
        return links
    hub = edition["BOOK_JUPYTERHUB_URL"].rstrip("/")
    if hub:
        # nbgitpuller clones into the folder named like the URL's last part (its default targetpath)
        repo_dir = repo.rstrip("/").split("/")[-1]
        query = urlencode({"repo": repo, "branch": branch, "urlpath": f"lab/tree/{repo_dir}/{notebook}"})
        links["jupyterhub"] = f"{hub}/hub/user-redirect/git-pull?{query}"
    binder = edition["BOOK_BINDERHUB_URL"].rstrip("/")
    if binder:
        github = _github_parts(repo)
        spec = f"gh/{github[0]}/{github[1]}" if github else f"git/{quote(repo, safe='')}"
        links["binder"] = (f"{binder}/v2/{spec}/{quote(branch, safe='')}?"
                           + urlencode({"urlpath": f"lab/tree/{notebook}"}))
    github = _github_parts(repo)
    if edition["BOOK_COLAB"].lower() in ("1", "true", "yes") and github:
        links["colab"] = f"{COLAB_URL}/github/{github[0]}/{github[1]}/blob/{branch}/{notebook}"
    return links


NAMES = {
    "jupyterhub": ("JupyterHub", "Run this chapter on JupyterHub"),
    "binder": ("Binder", "Run this chapter on Binder"),
    "colab": ("Colab", "Open this chapter in Colab"),
}


def launch_bar(links, download_href, notebook_name):
    """The HTML of a chapter's "Run this chapter" bar."""
    items = []
    for kind, url in links.items():
        text, label = NAMES[kind]
        items.append(f'<a class="nnk-launch" data-launch="{kind}" href="{html.escape(url)}" '
                     f'aria-label="{label}">{text}</a>')
    items.append(f'<a class="nnk-launch" data-launch="download" href="{html.escape(download_href)}" '
                 f'download="{html.escape(notebook_name)}" '
                 f'aria-label="Download the notebook of this chapter ({html.escape(notebook_name)})">'
                 "Download the notebook</a>")
    intro = "Run this chapter: " if links else ""
    return ('<nav class="nnk-launch-bar" aria-label="Run this chapter">'
            f"<p>{intro}{' · '.join(items)}</p></nav>")


def config_inited(app, config):
    """Read the edition once, so that a changed setting rebuilds the pages (an "html" config value)."""
    from sphinx.util import logging

    config.nnk_edition = edition = read_edition()
    kinds = sorted(launch_links(edition, CHAPTER_PREFIX + "x"))
    logger = logging.getLogger(__name__)
    logger.info(f"edition: launch links {kinds or 'none'}; site {edition['BOOK_SITE_URL'] or 'not set'}")
    if edition["BOOK_COLAB"] and "colab" not in kinds:
        logger.info("edition: no Colab links (Colab opens notebooks from a github.com repository)")


def add_launch_bar(app, pagename, templatename, context, doctree):
    if not pagename.startswith(CHAPTER_PREFIX) or "body" not in context:
        return
    source = context.get("sourcename") or f"{pagename}.ipynb"
    if not source.endswith(".ipynb"):
        return
    edition = app.config.nnk_edition
    links = launch_links(edition, pagename)
    if not links and not edition["BOOK_SITE_URL"]:
        return  # an edition with no public address: the theme's own download button only
    href = context["pathto"](f"_sources/{source}", 1)
    bar = launch_bar(links, href, Path(source).name)
    body = context["body"]
    end = body.find("</h1>")
    at = end + len("</h1>") if end >= 0 else 0
    context["body"] = body[:at] + bar + body[at:]


def stamp_site_url(source, site_url):
    """A first cell's source with the site's address in its ``BOOK_SITE_URL = ""`` line."""
    value = json.dumps(site_url)
    return SITE_LINE.sub(lambda _: f"BOOK_SITE_URL = {value}", source, count=1)


def stamp_notebook(path, site_url):
    """Write the site's address into the first code cell of a notebook file (format kept)."""
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    text = "".join(cell["source"])
    stamped = stamp_site_url(text, site_url)
    if stamped == text:
        return False
    cell["source"] = stamped.splitlines(keepends=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def build_wheel(dest):
    """Build nnkernel's wheel (nnkernel and widgets) offline from a copy of the sources into ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nnk-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for package in ("nnkernel", "widgets"):
            shutil.copytree(ROOT / package, src / package, ignore=ignore)
        out = Path(tmp) / "out"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "--no-index", "-w", str(out), str(src)],
                       check=True, capture_output=True, text=True)
        (wheel,) = out.glob("nnkernel-*.whl")
        for old in dest.glob("nnkernel-*.whl"):
            old.unlink()
        shutil.copy2(wheel, dest / wheel.name)
    (dest / LATEST).write_text(wheel.name + "\n", encoding="utf-8")
    (dest / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Wheels</title></head>'
        f'<body><a href="{wheel.name}">{wheel.name}</a></body></html>\n', encoding="utf-8")
    return dest / wheel.name


def build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    try:
        build_wheel(outdir / WHEELS)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"building the package's wheel failed:\n{error.stderr}") from error
    site = app.config.nnk_edition["BOOK_SITE_URL"]
    for notebook in sorted((outdir / "_sources" / CHAPTER_PREFIX).glob("*.ipynb")):
        stamp_notebook(notebook, site)


def setup(app):
    app.add_config_value("nnk_edition", {}, "html")
    app.connect("config-inited", config_inited)
    app.connect("html-page-context", add_launch_bar)
    app.connect("build-finished", build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv=None):
    """``edition.py show``: the edition's settings; ``edition.py stamp FILE...``: write BOOK_SITE_URL."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=("show", "stamp"))
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    edition = read_edition()
    if args.command == "show":
        for key in KEYS:
            print(f"{key}={edition[key]}")
        return 0
    for path in args.notebooks:
        changed = stamp_notebook(path, edition["BOOK_SITE_URL"])
        print(f"{path}: {'stamped' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
