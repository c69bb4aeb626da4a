"""Fixtures for the tests that run in a real browser (headless Chromium driven by Playwright).

Chromium comes from the system (Debian's package: ``make browser-setup``); in CI a
missing browser is an error, elsewhere the tests skip with the reason.
"""
import os
import shutil
from pathlib import Path

import pytest

from benchmarks import live

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = live.CHROMIUM_ARGS
LOCAL = ("file:", "data:", "blob:", "http://127.0.0.1", "ws://127.0.0.1", "about:")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _missing(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run `make browser-setup`)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _missing("Chromium is not installed")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    pw = pytest.importorskip("playwright.sync_api")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that refuses, and records, every request that would leave the machine."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = context.new_page()
    pg.external_requests = []

    def route(r):
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            pg.external_requests.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def built_book():
    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        _missing("the book is not built (run `make book` first)")
    return html


def running_voila(target, *options, env=None):
    """A Voila server on 127.0.0.1 serving ``target`` (demos/ or one notebook), with extra ``options`` and
    environment ``env`` (a context manager: benchmarks/live.py); skipped without Voila."""
    pytest.importorskip("voila")
    return live.running_voila(target, *options, env=env)


@pytest.fixture(scope="session")
def voila_server():
    """One Voila server for the session, on 127.0.0.1, serving demos/; shut down at the end."""
    with running_voila(ROOT / "demos") as url:
        yield url


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab for the session, on 127.0.0.1, over a copy of demos/ (JupyterLab saves what it runs)."""
    pytest.importorskip("jupyterlab")
    root = tmp_path_factory.mktemp("lab")
    for nb in (ROOT / "demos").glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
    with live.running_lab(root) as url:
        yield url


@pytest.fixture(scope="session")
def presentation_server():
    """A Voila server for the session serving demos/ in presentation mode (`make demo PRESENTATION=1`)."""
    with running_voila(ROOT / "demos", env={"NNK_PRESENTATION": "1"}) as url:
        yield url


@pytest.fixture(scope="session")
def book_server(built_book):
    """The built book served over HTTP on 127.0.0.1, as a static host would serve it."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def book_pages(html, include_redirect=False):
    """Every page of the built book in ``html``, as paths relative to it; the root index.html (a bare
    redirect to the first page) only when ``include_redirect``.  ``wheels/index.html`` is pip's file list
    for the package's wheel (book/_ext/edition.py), not a page of the book."""
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts and "wheels" not in p.parts
                  and (include_redirect or p.relative_to(html).as_posix() != "index.html"))
