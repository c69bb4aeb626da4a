"""The course on a real JupyterHub on this machine (benchmarks/hub.py): configurable-http-proxy in front,
DummyAuthenticator, SimpleLocalProcessSpawner, nbgitpuller cloning this repository over HTTP.

* a class of three students at once (HTTP, no browser) logs in, pulls the book and runs the EWMA chapter
  to its first plot;
* in Chromium: a small edition of the book built with this hub's and this git server's addresses; its
  chapter page's JupyterHub button logs in, nbgitpuller clones, JupyterLab opens the chapter, every cell
  runs without an error, and the explorer's figure changes when its slider moves in the live kernel.
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchmarks import hub as hub_tools
from benchmarks import live

# CPU-independent and slow (a real hub): the other-CPU pass leaves it out (Makefile)
pytestmark = pytest.mark.course

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = hub_tools.CHAPTER.removesuffix(".ipynb")


def _missing(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run `make setup`)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory):
    """(url, branch, commit) of this repository's HEAD served over git's smart HTTP protocol on 127.0.0.1."""
    if not shutil.which("git"):
        _missing("git is not installed")
    with hub_tools.git_http(tmp_path_factory.mktemp("git")) as served:
        yield served


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running JupyterHub (benchmarks.hub.Hub) on 127.0.0.1; stopped with its servers at the end."""
    reason = hub_tools.missing()
    if reason:
        _missing(reason)
    with hub_tools.running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running


def _clone_head(home: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=home / hub_tools.REPO_NAME, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_nbgitpuller_enabled_by_its_install():
    """nbgitpuller's install puts a jupyter_server config file that enables the extension."""
    config = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "nbgitpuller.json"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"]["nbgitpuller"] is True


def test_the_proxy_routes_the_hub(hub):
    """The hub's public address is configurable-http-proxy's, and the proxy's API lists the hub's route."""
    import requests

    assert requests.get(f"{hub.url}/hub/api", timeout=10).json()["version"]
    r = hub.api("GET", "/proxy")
    assert r.status_code == 200, r.text
    assert "/" in r.json()


def test_wrong_password_is_refused(hub):
    import requests

    s = requests.Session()
    s.get(f"{hub.url}/hub/login", timeout=30)
    r = s.post(f"{hub.url}/hub/login", data={"username": "mallory", "password": "wrong",
                                             "_xsrf": s.cookies.get("_xsrf", "")},
               allow_redirects=False, timeout=30)
    assert r.status_code != 302
    assert "jupyterhub-session-id" not in s.cookies


def test_a_class_of_three(hub, git_repo):
    """Three students at once log in, start their servers, pull the book and run the chapter to its first
    plot; each home holds a clone of the commit served (this repository's HEAD)."""
    repo, branch, commit = git_repo
    names = ["amal", "bo", "chidi"]
    try:
        got = hub_tools.a_class(hub, names, repo, branch, until_first_plot=True, timeout=400)
    finally:
        hub_tools.stop_servers(hub, names)
    for name, result in zip(names, got):
        assert isinstance(result, dict), f"{name}: {result!r}\n{hub.log_tail()}"
        assert result["first_plot_s"] > 0 and result["rss_mb"] > 0
        assert _clone_head(hub.workdir / "home" / name) == commit


# --- the book's launch button, in Chromium -----------------------------------------------------------

@pytest.fixture(scope="module")
def hub_book(tmp_path_factory, hub, git_repo):
    """A small edition of the book (introduction + the chapter) whose launch buttons point to this hub and
    this git server, served over HTTP on 127.0.0.1."""
    sys.path.insert(0, str(ROOT / "book" / "tools"))
    try:
        from mini_book import build_mini_book
    finally:
        sys.path.remove(str(ROOT / "book" / "tools"))
    repo, branch, _ = git_repo
    html = build_mini_book(tmp_path_factory.mktemp("hub-book"), chapters=(CHAPTER,),
                           env={"BOOK_REPOSITORY_URL": repo, "BOOK_REPOSITORY_BRANCH": branch,
                                "BOOK_JUPYTERHUB_URL": hub.url})

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


#: the notebook JupyterLab shows: its path, whether its kernel is idle, its code cells' execution counts
#: and error outputs
LAB_STATE = """() => { const app = window.jupyterapp; if (!app) return null;
    const w = app.shell.currentWidget; if (!w || !w.content || !w.context) return null;
    const kernel = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    const cells = w.content.widgets.filter(c => c.model.type === 'code');
    const errors = [];
    for (const c of cells) for (const o of c.model.outputs.toJSON())
        if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
    return {path: w.context.path, status: kernel ? kernel.status : null,
            pending: cells.filter(c => c.model.executionCount === null).length, cells: cells.length, errors}; }"""


def _poll(page, predicate, timeout_s, what):
    """Evaluate LAB_STATE every half second until ``predicate(state)``; bounded by ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(LAB_STATE)
        if state and predicate(state):
            return state
        page.wait_for_timeout(500)
    raise AssertionError(f"{what}: not within {timeout_s} s (last state {state})")


@pytest.mark.browser
def test_launch_button_runs_the_chapter_in_jupyterlab(browser, hub, hub_book):
    """Book page -> JupyterHub button -> login -> nbgitpuller -> JupyterLab with the chapter; Run All
    gives no error output, and the explorer answers its slider with new pixels from the live kernel."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:",
                                                             "blob:", "about:")) else outside.append(r.url))
    try:
        page.goto(f"{hub_book}/{CHAPTER}.html")
        button = page.locator('a.nnk-launch[data-launch="jupyterhub"]')
        assert button.count() == 1
        href = button.get_attribute("href")
        assert href.startswith(f"{hub.url}/hub/user-redirect/git-pull?")
        button.click()
        page.wait_for_selector("#username_input", timeout=60_000)
        page.fill("#username_input", "dana")
        page.fill("#password_input", hub_tools.PASSWORD)
        page.click("#login_submit")
        # spawn, nbgitpuller's progress page, then JupyterLab with the chapter and an idle kernel
        page.wait_for_url("**/lab/**", timeout=240_000)
        notebook = f"{hub_tools.REPO_NAME}/{hub_tools.CHAPTER}"
        _poll(page, lambda s: s["path"] == notebook and s["status"] == "idle", 180, "the chapter in JupyterLab")
        assert (hub.workdir / "home" / "dana" / notebook).exists()
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(1000)
        state = _poll(page, lambda s: s["errors"] or (s["status"] == "idle" and s["pending"] == 0), 240,
                      "running all cells")
        assert not state["errors"], state["errors"]
        assert state["cells"] > 10
        figure = page.locator(live.FIGURE).first
        figure.scroll_into_view_if_needed()
        live.wait_painted(page, 60)
        before = live.pixels(page)
        times = live.key_to_pixels(page, control=".nnk-control-beta", presses=2, timeout_s=20)
        assert times, "the explorer's figure did not change when its slider moved"
        after = live.pixels(page)
        assert before.shape == after.shape and (before != after).any()
        assert not outside, outside
    finally:
        context.close()
        hub_tools.stop_servers(hub, ["dana"])
