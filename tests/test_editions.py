"""The book's edition (book/_ext/edition.py): launch links, the downloadable chapters and the wheel.

Small editions are built (book/tools/mini_book.py: the introduction and two chapters, not executed) with
no address configured and with a full configuration, and their pages are read back: with nothing
configured no page has a launch link or a repository button; configured, every chapter page has the
JupyterHub (nbgitpuller), Binder, Colab and download links with the addresses the configuration implies,
the download is the chapter with the site's address in its first cell, and the site serves the package's
wheel.  The last test installs a chapter as a reader outside the repository would: the site is served
on 127.0.0.1, a chapter is downloaded from it into a fresh virtual environment (with only nbclient and
ipykernel from pip's index) and run there; its first cell installs the package from the site.  That
test needs pip's index: it is skipped when NNK_OFFLINE=1 or when pip cannot reach the index.
"""
import ast
import contextlib
import functools
import html.parser
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from edition import launch_links, read_edition, stamp_notebook
from mini_book import build_mini_book

# CPU-independent and slow (book builds, a fresh venv): the other-CPU pass leaves it out (Makefile)
pytestmark = pytest.mark.course

CHAPTERS = ("lessons/ewma", "lessons/losses")
REPO = "https://github.com/nnk-example/nnk-book.git"
HUB = "https://hub.example.edu"
BINDER = "https://mybinder.org"


class _Links(html.parser.HTMLParser):
    """Every <a>'s attributes on a page."""

    def __init__(self):
        super().__init__()
        self.anchors = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))


def _anchors(page):
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.anchors


def _launch(page):
    return {a["data-launch"]: a for a in _anchors(page) if "nnk-launch" in a.get("class", "").split()}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve(folder, port):
    """The folder over HTTP on 127.0.0.1:port, stopped on leaving (also on failure)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory):
    return build_mini_book(tmp_path_factory.mktemp("plain"), CHAPTERS, env={})


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    port = _free_port()
    env = {"BOOK_REPOSITORY_URL": REPO, "BOOK_REPOSITORY_BRANCH": "fall-2026",
           "BOOK_SITE_URL": f"http://127.0.0.1:{port}/", "BOOK_JUPYTERHUB_URL": HUB + "/",
           "BOOK_BINDERHUB_URL": BINDER, "BOOK_COLAB": "1"}
    site = build_mini_book(tmp_path_factory.mktemp("edition"), CHAPTERS, env=env)
    return site, env, port


def test_defaults_file_is_empty_and_the_environment_overrides_it():
    defaults = read_edition(environ={})
    assert defaults["BOOK_REPOSITORY_BRANCH"] == "main"
    assert all(value == "" for key, value in defaults.items() if key != "BOOK_REPOSITORY_BRANCH")
    assert read_edition(environ={"BOOK_SITE_URL": " https://x.example/ "})["BOOK_SITE_URL"] == "https://x.example/"


def test_no_configuration_no_launch_links(plain_site):
    pages = sorted(plain_site.rglob("*.html"))
    assert len([p for p in pages if p.parent.name == "lessons"]) == len(CHAPTERS)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "nnk-launch" not in text, page
        assert "btn-source-repository-button" not in text and "launch-buttons" not in text, page
    for chapter in CHAPTERS:
        copy = json.loads((plain_site / "_sources" / chapter).with_suffix(".ipynb").read_text(encoding="utf-8"))
        first = next(c for c in copy["cells"] if c["cell_type"] == "code")
        assert 'BOOK_SITE_URL = ""' in "".join(first["source"])  # nothing stamped: the cell says what to do


def test_every_chapter_page_has_the_four_links(edition):
    site = edition[0]
    for chapter in CHAPTERS:
        page = (site / chapter).with_suffix(".html")
        links = _launch(page)
        assert set(links) == {"jupyterhub", "binder", "colab", "download"}, page
        for anchor in links.values():
            assert anchor.get("aria-label") and anchor.get("href")
        notebook = chapter + ".ipynb"
        hub = urlsplit(links["jupyterhub"]["href"])
        assert f"{hub.scheme}://{hub.netloc}{hub.path}" == HUB + "/hub/user-redirect/git-pull"
        query = parse_qs(hub.query, strict_parsing=True)
        assert query == {"repo": [REPO], "branch": ["fall-2026"], "urlpath": [f"lab/tree/nnk-book.git/{notebook}"]}
        binder = urlsplit(links["binder"]["href"])
        assert f"{binder.scheme}://{binder.netloc}{binder.path}" == BINDER + "/v2/gh/nnk-example/nnk-book/fall-2026"
        assert parse_qs(binder.query) == {"urlpath": [f"lab/tree/{notebook}"]}
        assert links["colab"]["href"] == ("https://colab.research.google.com/github/nnk-example/nnk-book/blob/"
                                          f"fall-2026/{notebook}")
        assert links["download"]["download"] == Path(notebook).name


def test_stamping_a_chapter_changes_its_site_line_only(tmp_path):
    """``edition.py stamp`` (and the build, on the site's copies) keeps the notebook's format."""
    original = (ROOT / "lessons" / "ewma.ipynb").read_text(encoding="utf-8")
    copy = tmp_path / "ewma.ipynb"
    copy.write_text(original, encoding="utf-8")
    assert stamp_notebook(copy, "https://b.example/book/")
    changed = [(a, b) for a, b in zip(original.splitlines(), copy.read_text(encoding="utf-8").splitlines(),
                                      strict=True) if a != b]
    line = '    "BOOK_SITE_URL = {}  # the book\'s web address, filled in by the book\'s build\\n",'
    assert changed == [(line.format('\\"\\"'), line.format('\\"https://b.example/book/\\"'))]
    assert copy.read_text(encoding="utf-8").endswith("}\n")


def test_links_follow_the_configuration():
    """A repository that is not on GitHub (a course's git server): Binder's generic git form, no Colab."""
    edition = read_edition(environ={"BOOK_REPOSITORY_URL": "http://127.0.0.1:8123/git/book",
                                    "BOOK_JUPYTERHUB_URL": "http://127.0.0.1:8000",
                                    "BOOK_BINDERHUB_URL": BINDER, "BOOK_COLAB": "1"})
    links = launch_links(edition, "lessons/ewma")
    assert set(links) == {"jupyterhub", "binder"}
    assert links["binder"].startswith(BINDER + "/v2/git/http%3A%2F%2F127.0.0.1%3A8123%2Fgit%2Fbook/main?")
    query = parse_qs(urlsplit(links["jupyterhub"]).query)
    assert query["urlpath"] == ["lab/tree/book/lessons/ewma.ipynb"] and query["branch"] == ["main"]
    assert launch_links(read_edition(environ={"BOOK_JUPYTERHUB_URL": HUB}), "lessons/ewma") == {}


def test_download_is_the_stamped_chapter_and_the_site_serves_the_wheel(edition):
    site, env, port = edition
    with _serve(site, port) as url:
        for chapter in CHAPTERS:
            page_url = urljoin(url, chapter + ".html")
            href = _launch((site / chapter).with_suffix(".html"))["download"]["href"]
            with urllib.request.urlopen(urljoin(page_url, href), timeout=30) as answer:
                notebook = json.loads(answer.read())
            first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
            assert f'BOOK_SITE_URL = "{env["BOOK_SITE_URL"]}"' in "".join(first["source"])
            stored = json.loads((ROOT / chapter).with_suffix(".ipynb").read_text(encoding="utf-8"))
            assert [c.get("outputs") for c in notebook["cells"]] == [c.get("outputs") for c in stored["cells"]]
        with urllib.request.urlopen(url + "wheels/nnkernel-latest.txt", timeout=30) as answer:
            name = answer.read().decode().strip()
        with urllib.request.urlopen(url + "wheels/" + name, timeout=30) as answer:
            wheel = site / "wheel-check.whl"
            wheel.write_bytes(answer.read())
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"nnkernel/__init__.py", "widgets/__init__.py"} <= names
    assert not any("__pycache__" in n for n in names)


def _venv_python(venv):
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


RUNNER = r"""
import sys, nbformat, nbclient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, path + ".out.ipynb")
print("first cell:", "".join(o.get("text", "") for o in nb.cells[1].outputs).strip())
"""


@pytest.mark.skipif(os.environ.get("NNK_OFFLINE") == "1", reason="NNK_OFFLINE=1: no package index")
def test_fresh_venv_installs_a_downloaded_chapter_from_the_site(edition, tmp_path):
    site, _, port = edition
    clean = {k: v for k, v in os.environ.items()
             if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NNKERNEL_BOOK_SOURCE") and not k.startswith("BOOK_")}
    clean.update(JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"),
                 MPLBACKEND="Agg", PIP_DISABLE_PIP_VERSION_CHECK="1")
    venv = tmp_path / "reader-venv"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(_venv_python(venv))
    install = subprocess.run([python, "-m", "pip", "install", "-q", "nbclient", "ipykernel"], check=False,
                             capture_output=True, text=True, env=clean, timeout=900)
    if install.returncode != 0:
        pytest.skip("pip cannot install nbclient and ipykernel (no package index?): "
                    + install.stderr[-500:])
    set_up = time.perf_counter()
    reader = tmp_path / "reader"  # outside the checkout: `import nnkernel` fails there
    reader.mkdir()
    with _serve(site, port) as url:
        for chapter in CHAPTERS[:1]:
            target = reader / Path(chapter).with_suffix(".ipynb").name
            with urllib.request.urlopen(urljoin(url, f"_sources/{chapter}.ipynb"), timeout=30) as answer:
                target.write_bytes(answer.read())
            run = subprocess.run([python, "-c", RUNNER, str(target), str(reader)], check=False,
                                 capture_output=True, text=True, env=clean, cwd=reader, timeout=1500)
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
            assert "first cell: nnkernel " in run.stdout
    where = subprocess.run([python, "-c", "import nnkernel, widgets; print(nnkernel.__file__)"], check=True,
                           capture_output=True, text=True, env=clean, cwd=reader, timeout=120).stdout
    assert Path(where.strip()).is_relative_to(venv)
    done = time.perf_counter()
    print(f"\nfresh venv: nbclient and ipykernel installed in {set_up - started:.0f} s; "
          f"{CHAPTERS[0]} downloaded, its package installed from the site and run in {done - set_up:.0f} s")


# Import names of the chapters' third-party modules -> distribution names
DISTRIBUTION = {"IPython": "ipython", "mpmath": "mpmath", "numpy": "numpy", "scipy": "scipy",
                "matplotlib": "matplotlib", "ipywidgets": "ipywidgets"}
PROVIDED = {"nnkernel", "widgets", "IPython"}  # the book's package; IPython comes with every kernel


def _requirement_names(lines):
    names = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            names[name.strip().lower()] = version.strip()
    return names


def _chapter_imports(path):
    """Top-level names of the third-party modules a chapter's code cells import."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in PROVIDED}


def _package_dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {dep.split(">")[0].split("=")[0].split("<")[0].strip().lower() for dep in project["dependencies"]}


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("*.ipynb")), ids=lambda p: p.stem)
def test_first_cell_installs_what_the_chapter_imports(path):
    """The package's dependencies and the packages a chapter's first cell adds cover its imports."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])
    line = next(x for x in first.splitlines() if x.strip().startswith("packages = [source"))
    added = {word.strip('"') for word in line.split("#")[0].split("[", 1)[1].rstrip("] ").split(", ")[1:]}
    needed = {DISTRIBUTION.get(name, name).lower() for name in _chapter_imports(path)}
    assert needed <= _package_dependencies() | added, path.stem


def test_binder_installs_what_readers_need_at_the_books_versions():
    binder = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e ." in [line.strip() for line in binder]  # the repository's package, after repo2docker's copy
    pins, root = _requirement_names(binder), _requirement_names(
        (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert {name: root.get(name) for name in pins} == pins  # the versions the book is built and tested with
    chapters = set()
    for path in (ROOT / "lessons").glob("*.ipynb"):
        chapters |= {DISTRIBUTION.get(name, name).lower() for name in _chapter_imports(path)}
    assert chapters | _package_dependencies() <= set(pins)
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}"  # the version tested here
