"""The course on a real JupyterHub, on this machine: the hub and its proxy, students who log in, pull the
book with nbgitpuller and run a chapter, and what one student server costs.

Everything binds 127.0.0.1: JupyterHub with configurable-http-proxy (node_modules), DummyAuthenticator
with a password, SimpleLocalProcessSpawner (homes under a temporary folder, ``jupyterhub-singleuser``
from this environment, JupyterLab by default) and nbgitpuller (enabled as a server extension by its
install). The book's repository is served over git's smart HTTP protocol (``git http-backend``) from a
bare clone of HEAD, so nbgitpuller clones it as it would a public repository.

``python -m benchmarks --sections hub`` runs "a class at once": N students at the same time, each over
HTTP as a browser would (log in, start the server, pull, run the chapter in a kernel over its
websocket), for growing N; it records launch -> first plot, the chapter's run time and each student
server's memory (RSS of the server and its kernel) and CPU time. The tests in tests/browser/test_hub.py use the same code.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from .live import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
#: the repository's name as students' hubs see it (the folder nbgitpuller clones into)
REPO_NAME = "nnkernel-book"
#: the chapter a class runs: the quickest one with an explorer
CHAPTER = "lessons/ewma.ipynb"
#: a student's password (DummyAuthenticator: one shared password)
PASSWORD = "nnk-class-password"
#: the class sizes measured, and the launch -> first plot p95 past which larger classes are not tried
CLASS_SIZES = (1, 2, 4, 8, 12, 16, 20)
P95_LIMIT_S = 30.0
#: classes up to this size are measured even when a smaller one passed the limit: the issue's class of 20
MIN_CLASS = 20
#: mime types that count as "a plot": a PNG, or a widget (the explorers and ipympl figures)
PLOT_MIMES = ("image/png", "application/vnd.jupyter.widget-view+json")


def missing() -> str | None:
    """Why a hub cannot run here (None when it can)."""
    if not (BIN / "jupyterhub").exists():
        return "jupyterhub is not installed (pip install -r requirements.txt)"
    if not PROXY.exists():
        return "configurable-http-proxy is not installed (npm ci)"
    if not shutil.which("node"):
        return "node is not installed"
    if not shutil.which("git"):
        return "git is not installed"
    return None


# --- the repository over git's smart HTTP protocol -------------------------------------------------

def _branch() -> str:
    out = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True)
    name = out.stdout.strip()
    return name if out.returncode == 0 and name and name != "HEAD" else "main"


def _git_handler(project_root: str):
    class GitHandler(http.server.BaseHTTPRequestHandler):
        """Runs ``git http-backend`` as a CGI program for each request (read-only: upload-pack only)."""

        def log_message(self, *args):
            pass

        def do_GET(self):
            self._backend()

        def do_POST(self):
            self._backend()

        def _backend(self):
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {"GIT_PROJECT_ROOT": project_root, "GIT_HTTP_EXPORT_ALL": "1",
                   "PATH_INFO": urllib.parse.unquote(path), "QUERY_STRING": query,
                   "REQUEST_METHOD": self.command, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                   "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", "PATH": os.environ["PATH"],
                   "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                   "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", "")}
            try:
                out = subprocess.run(["git", "http-backend"], check=False, input=body, env=env, capture_output=True,
                                     timeout=120).stdout
            except subprocess.TimeoutExpired:
                self.send_error(504)
                return
            sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
            head, _, payload = out.partition(sep)
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers.append((key, value.strip()))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return GitHandler


@contextlib.contextmanager
def git_http(workdir: Path):
    """The repository's HEAD as a bare clone served on 127.0.0.1 over git's smart HTTP protocol; yields
    ``(url, branch, commit)``: ``url`` the address nbgitpuller and ``git clone`` take, ``branch`` the
    checked-out branch's name (``main`` for a detached HEAD), pointing at ``commit``, HEAD's when served."""
    branch = _branch()
    repos = Path(workdir) / "git"
    bare = repos / REPO_NAME
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    # --shared borrows the objects (no copy); the branch is set to HEAD, so a detached checkout (CI) works
    subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(ROOT), str(bare)], check=True, timeout=300)
    subprocess.run(["git", "update-ref", f"refs/heads/{branch}", head], cwd=bare, check=True, timeout=60)
    subprocess.run(["git", "symbolic-ref", "HEAD", f"refs/heads/{branch}"], cwd=bare, check=True, timeout=60)
    subprocess.run(["git", "update-server-info"], cwd=bare, check=True, timeout=60)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _git_handler(str(repos)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{REPO_NAME}", branch, head
    finally:
        server.shutdown()
        server.server_close()


# --- the hub -----------------------------------------------------------------------------------------

CONFIG = """\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{workdir}/home/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.args = {args!r}
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.services = [{{"name": "nnk-class", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "nnk-class",
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "read:users", "proxy",
               "access:servers"],
    "services": ["nnk-class"],
}}]
"""


class Hub:
    """A running hub: ``url`` (the proxy's public address), ``token`` (a service token with admin scopes
    over users and servers), ``workdir`` (db, cookie secret, homes, log)."""

    def __init__(self, url: str, token: str, workdir: Path, proc: subprocess.Popen):
        self.url, self.token, self.workdir, self.proc = url, token, workdir, proc

    def api(self, method: str, path: str, timeout: float = 30, **kwargs):
        import requests

        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=timeout, **kwargs)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return (self.workdir / "jupyterhub.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def server_pid(self, user: str) -> int | None:
        """The process id of ``user``'s single-user server (from the spawner's state)."""
        r = self.api("GET", f"/users/{user}")
        if r.status_code != 200:
            return None
        server = (r.json().get("servers") or {}).get("") or {}
        return (server.get("state") or {}).get("pid")


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Stop the hub (it stops its proxy and the servers it spawned), then kill whatever of its process tree
    and their process groups is left."""
    import psutil

    tree = _descendants(proc.pid)
    groups = set()
    for p in tree:
        with contextlib.suppress(psutil.Error):
            groups.add(os.getpgid(p.pid))
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    tree += _descendants(proc.pid) if proc.poll() is None else []
    _, alive = psutil.wait_procs([p for p in tree if p.is_running()], timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    for g in groups - {os.getpgid(0)}:
        with contextlib.suppress(OSError):
            os.killpg(g, signal.SIGKILL)


def _wait(predicate, timeout: float, what: str, interval: float = 0.25, hub: Hub | None = None,
          proc: subprocess.Popen | None = None):
    """Poll ``predicate`` until it returns something true; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the hub exited with status {proc.returncode}\n"
                               + (hub.log_tail() if hub else ""))
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s\n" + (hub.log_tail() if hub else ""))


@contextlib.contextmanager
def running_hub(workdir: Path | None = None, timeout: float = 120):
    """A JupyterHub on 127.0.0.1 with its proxy, authenticator and spawner (see the module's docstring);
    yields a :class:`Hub` once its API answers, and stops it and everything it started afterwards (also
    when the body fails)."""
    import requests

    reason = missing()
    if reason:
        raise RuntimeError(reason)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nnk-hub-")))
        workdir = Path(workdir)
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        port, hub_port, api_port = free_port(), free_port(), free_port()
        token = secrets.token_hex(32)
        args = ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            args.append("--allow-root")
        import matplotlib

        environment = {
            "NBGITPULLER_APP": "lab",
            # the image's matplotlib font cache (a single-user image ships it built; a fresh home would
            # rebuild it at every student's first import)
            "MPLCONFIGDIR": matplotlib.get_configdir(),
        }
        (workdir / "jupyterhub_config.py").write_text(CONFIG.format(
            port=port, hub_port=hub_port, api_port=api_port, proxy=str(PROXY), workdir=workdir,
            password=PASSWORD, singleuser=str(BIN / "jupyterhub-singleuser"), args=args,
            environment=environment, token=token))
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("JUPYTERHUB_API_TOKEN", None)
        log = stack.enter_context(open(workdir / "jupyterhub.log", "wb"))
        proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(workdir / "jupyterhub_config.py")],
                                cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(_stop, proc)
        hub = Hub(f"http://127.0.0.1:{port}", token, workdir, proc)

        def answers():
            try:
                return requests.get(f"{hub.url}/hub/api", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait(answers, timeout, "JupyterHub's API", hub=hub, proc=proc)
        yield hub


def pull_url(hub_url: str, repo: str, branch: str, notebook: str = CHAPTER, user: str | None = None) -> str:
    """The nbgitpuller link a book's launch button points to (``/hub/user-redirect/git-pull``), or, with
    ``user``, the same route on that user's server."""
    query = urllib.parse.urlencode({"repo": repo, "branch": branch,
                                    "urlpath": f"lab/tree/{REPO_NAME}/{notebook}"})
    base = f"{hub_url}/user/{user}" if user else f"{hub_url}/hub/user-redirect"
    return f"{base}/git-pull?{query}"


# --- one student over HTTP ---------------------------------------------------------------------------

class StudentError(RuntimeError):
    pass


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its descendants, with their reaped children."""
    import psutil

    total = 0.0
    try:
        procs = [psutil.Process(pid), *_descendants(pid)]
    except psutil.Error:
        return total
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def _hub_cpu(hub: Hub) -> float:
    """CPU seconds of the hub process and its proxy (not the students' servers)."""
    import psutil

    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(hub.proc.pid)
        t = root.cpu_times()
        total += t.user + t.system
        for child in root.children():
            with contextlib.suppress(psutil.Error):
                if "configurable-http-proxy" in " ".join(child.cmdline()):
                    t = child.cpu_times()
                    total += t.user + t.system
    return total


def _memory_sampler(pid: int, stop: threading.Event, out: dict) -> None:
    """Track the peak RSS and the CPU seconds of process ``pid`` and its children (the server and its
    kernel) until ``stop`` is set."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    seen = {}
    while True:
        total = 0
        for p in [root, *_descendants(pid)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
                t = p.cpu_times()
                seen[p.pid] = t.user + t.system + t.children_user + t.children_system
        cpu = sum(seen.values())
        out["peak_rss"] = max(out.get("peak_rss", 0), total)
        out["cpu_s"] = cpu
        if stop.wait(0.5):
            return


def _decode(frame) -> dict:
    """A kernel message from a websocket frame: JSON text, or a binary frame (a message with buffers:
    the count of parts, their offsets, then the JSON message and the buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i:8 + 4 * i], "big") for i in range(count)]
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0]:end].decode("utf-8"))


def _execute(ws, code: str, timeout: float, on_output) -> None:
    """Run ``code`` in the kernel behind websocket ``ws`` (Jupyter's JSON messages); calls ``on_output``
    with every display/result's data; raises :class:`StudentError` on an error output."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "student", "session": uuid.uuid4().hex, "msg_type": "execute_request",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    deadline = time.monotonic() + timeout
    replied = idle = False
    while not (replied and idle):
        left = deadline - time.monotonic()
        if left <= 0:
            raise StudentError(f"a cell did not finish within {timeout:.0f} s: {code[:80]!r}")
        ws.settimeout(left)
        msg = _decode(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            raise StudentError(f"{content.get('ename')}: {content.get('evalue')} in {code[:80]!r}")
        if kind in ("display_data", "execute_result"):
            on_output(content.get("data", {}))
        elif kind == "execute_reply":
            replied = True
            if content.get("status") != "ok":
                raise StudentError(f"execute_reply {content.get('status')} in {code[:80]!r}")
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True


def student(hub: Hub, name: str, repo: str, branch: str, notebook: str = CHAPTER, until_first_plot=False,
            timeout: float = 600) -> dict:
    """One student, over HTTP as a browser would: log in with the password, start the server, pull the
    book with nbgitpuller, open the chapter in a kernel and run its code cells in order (only up to the
    first plot with ``until_first_plot``).  Returns the seconds from the login to the first plot
    (``first_plot_s``) and to the chapter's end (``chapter_s``, from the first cell), the server's peak
    RSS with its kernel (``rss_mb``) and its CPU seconds (``cpu_s``); raises on any failure."""
    import requests
    import websocket

    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout

    def left():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StudentError(f"{name}: over {timeout:.0f} s")
        return remaining

    browser = requests.Session()
    browser.get(f"{hub.url}/hub/login", timeout=min(60, left()))
    xsrf = browser.cookies.get("_xsrf", "")
    r = browser.post(f"{hub.url}/hub/login", data={"username": name, "password": PASSWORD, "_xsrf": xsrf},
                     allow_redirects=False, timeout=min(60, left()))
    if r.status_code != 302 or "jupyterhub-session-id" not in browser.cookies:
        raise StudentError(f"{name}: login answered {r.status_code}")
    # the student's own API token (what the hub's page does with the session cookie)
    r = hub.api("POST", f"/users/{name}/tokens", json={"note": "class benchmark"})
    if r.status_code not in (200, 201):
        raise StudentError(f"{name}: token {r.status_code} {r.text[:200]}")
    own = {"Authorization": f"token {r.json()['token']}"}
    r = requests.post(f"{hub.url}/hub/api/users/{name}/server", headers=own, timeout=min(60, left()))
    if r.status_code not in (201, 202):
        raise StudentError(f"{name}: spawn answered {r.status_code} {r.text[:200]}")

    def ready():
        got = requests.get(f"{hub.url}/hub/api/users/{name}", headers=own, timeout=30).json()
        server = (got.get("servers") or {}).get("")
        return server is not None and server.get("ready")

    _wait(ready, min(240, left()), f"{name}'s server")
    t_ready = time.perf_counter()
    pid = hub.server_pid(name)
    usage, stop = {}, threading.Event()
    sampler = threading.Thread(target=_memory_sampler, args=(pid, stop, usage), daemon=True) if pid else None
    if sampler:
        sampler.start()
    base = f"{hub.url}/user/{name}"
    try:
        # nbgitpuller's event stream: clone (or update) the repository into the home folder
        with requests.get(f"{base}/git-pull/api", params={"repo": repo, "branch": branch}, headers=own,
                          stream=True, timeout=(30, min(240, left()))) as r:
            if r.status_code != 200:
                raise StudentError(f"{name}: git-pull answered {r.status_code}")
            phase = None
            for line in r.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    phase = event.get("phase")
                    if phase == "error":
                        raise StudentError(f"{name}: nbgitpuller: {event.get('message')} {event.get('output')}")
                    if phase == "finished":
                        break
                left()
            if phase != "finished":
                raise StudentError(f"{name}: nbgitpuller's stream ended in phase {phase}")
        t_pulled = time.perf_counter()
        path = f"{REPO_NAME}/{notebook}"
        r = requests.get(f"{base}/api/contents/{urllib.parse.quote(path)}", headers=own, timeout=min(60, left()))
        if r.status_code != 200:
            raise StudentError(f"{name}: the pulled chapter answered {r.status_code}")
        cells = [c for c in r.json()["content"]["cells"] if c["cell_type"] == "code"]
        r = requests.post(f"{base}/api/sessions", headers=own, timeout=min(60, left()),
                          json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
        if r.status_code != 201:
            raise StudentError(f"{name}: session answered {r.status_code} {r.text[:200]}")
        kernel = r.json()["kernel"]["id"]
        ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels",
                                         header=[f"Authorization: {own['Authorization']}"], timeout=min(60, left()))
        first = {}

        def on_output(data):
            if "plot" not in first and any(m in data for m in PLOT_MIMES):
                first["plot"] = time.perf_counter()
                first["cpu"] = _tree_cpu(pid) if pid else 0.0

        try:
            t_cells = time.perf_counter()
            for cell in cells:
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                _execute(ws, source, left(), on_output)
                if until_first_plot and "plot" in first:
                    break
            t_end = time.perf_counter()
        finally:
            ws.close()
        if "plot" not in first:
            raise StudentError(f"{name}: the chapter showed no plot")
    finally:
        stop.set()
        if sampler:
            sampler.join(5)
    return {"first_plot_s": first["plot"] - t0, "chapter_s": t_end - t_cells, "total_s": t_end - t0,
            "server_s": t_ready - t0, "pull_s": t_pulled - t_ready, "kernel_s": t_cells - t_pulled,
            "rss_mb": usage.get("peak_rss", 0) / 2**20, "cpu_s": usage.get("cpu_s", 0.0),
            "cpu_first_plot_s": first["cpu"]}


def a_class(hub: Hub, names: list[str], repo: str, branch: str, **kwargs) -> list:
    """Students ``names`` at the same moment (one thread each); returns each one's result or exception."""
    out = [None] * len(names)

    def one(i):
        try:
            out[i] = student(hub, names[i], repo, branch, **kwargs)
        except Exception as e:  # noqa: BLE001 - reported per student
            out[i] = e

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(kwargs.get("timeout", 600) + 60)
    return out


def stop_servers(hub: Hub, names: list[str], timeout: float = 60) -> None:
    """Stop the students' servers and wait (bounded) until the hub reports them gone."""
    for name in names:
        hub.api("DELETE", f"/users/{name}/server")

    def gone():
        return all(not (hub.api("GET", f"/users/{n}").json().get("servers") or {}) for n in names)

    with contextlib.suppress(TimeoutError):
        _wait(gone, timeout, "stopping the servers", interval=0.5)


def percentile(values, q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between order statistics."""
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def run(results, sizes=CLASS_SIZES) -> dict:
    """A class at once, for class sizes ``sizes`` (at least up to :data:`MIN_CLASS`) until launch -> first
    plot's p95 passes :data:`P95_LIMIT_S`; adds the figures to ``results`` (section ``hub``) and returns
    them.

    Wall-clock times depend on what else the machine runs (its load average is recorded), CPU seconds
    much less: besides the measured class, the CPU time of one launch (login to first plot: the
    student's server and kernel, plus the hub's, the proxy's and the git server's share) gives the
    students an unshared machine of this size would launch within the limit."""
    import psutil

    summary = {"sizes": {}}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="nnk-class-") as tmp, git_http(Path(tmp)) as (repo, branch, _), \
            running_hub(Path(tmp) / "hub") as hub:
        rss, cpu, cpu_first = [], [], []
        overhead, launched = 0.0, 0
        held, exceeded = 0, False
        for n in sizes:
            names = [f"n{n}s{i}" for i in range(n)]
            hub0, git0 = _hub_cpu(hub), os.times()
            got = a_class(hub, names, repo, branch)
            hub1, git1 = _hub_cpu(hub), os.times()
            stop_servers(hub, names)
            failed = [g for g in got if not isinstance(g, dict)]
            ok = [g for g in got if isinstance(g, dict)]
            if failed:
                print(f"hub: {len(failed)} of {n} students failed: {failed[0]}", flush=True)
            if not ok:
                break
            overhead += (hub1 - hub0) + (git1.children_user + git1.children_system
                                         - git0.children_user - git0.children_system)
            launched += n
            first = [g["first_plot_s"] for g in ok]
            chapter = [g["chapter_s"] for g in ok]
            rss += [g["rss_mb"] for g in ok]
            cpu += [g["cpu_s"] for g in ok]
            cpu_first += [g["cpu_first_plot_s"] for g in ok]
            p95 = percentile(first, 0.95) if not failed else float("inf")
            summary["sizes"][n] = {"first_plot_median_s": statistics.median(first), "first_plot_p95_s": p95,
                                   "chapter_median_s": statistics.median(chapter), "failed": len(failed)}
            phases = {k: statistics.median(g[k] for g in ok) for k in ("server_s", "pull_s", "kernel_s")}
            print(f"hub: {n} students, medians: login -> server ready {phases['server_s']:.1f} s, pull "
                  f"{phases['pull_s']:.1f} s, kernel started {phases['kernel_s']:.1f} s; load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            results.add("hub", f"launch -> first plot median, {n} students", statistics.median(first), "s",
                        section="hub", students=n)
            results.add("hub", f"launch -> first plot p95, {n} students", p95, "s", section="hub", students=n)
            results.add("hub", f"chapter run median, {n} students", statistics.median(chapter), "s",
                        section="hub", students=n)
            if failed:
                results.add("hub", f"students failed, {n} students", len(failed), "count", section="hub",
                            students=n)
            exceeded = exceeded or p95 > P95_LIMIT_S
            if not exceeded:
                held = n
            if exceeded and n >= MIN_CLASS:
                break
        if not rss:
            raise RuntimeError("no student reached the end of the chapter")
        cores = psutil.cpu_count()
        launch_cpu = statistics.median(cpu_first) + overhead / launched
        summary.update(held=held, rss_mb=statistics.median(rss), rss_max_mb=max(rss),
                       cpu_s=statistics.median(cpu), launch_cpu_s=launch_cpu, load=load,
                       held_cpu=int(cores * P95_LIMIT_S // launch_cpu))
        results.add("hub", f"students held with launch -> first plot p95 <= {P95_LIMIT_S:g} s", held, "students",
                    section="hub")
        results.add("hub", "student server peak RSS (server + kernel), median", summary["rss_mb"], "MiB",
                    section="hub")
        results.add("hub", "student server peak RSS (server + kernel), max", summary["rss_max_mb"], "MiB",
                    section="hub")
        results.add("hub", "student CPU time, launch to chapter's end, median", summary["cpu_s"], "s",
                    section="hub")
        results.add("hub", "CPU time of one launch (login to first plot, with the hub's, proxy's and git "
                    "server's share)", launch_cpu, "s", section="hub")
        results.add("hub", f"students an unshared {cores}-core machine launches within {P95_LIMIT_S:g} s, "
                    "from CPU time", summary["held_cpu"], "students", section="hub")
        results.add("hub", "load average (1 min) before the run", load[0], "", section="hub")
    return summary
