"""Fixtures for the tests on a real JupyterHub (benchmarks/hub.py): the repository served over git's smart
HTTP protocol and a hub with its proxy, authenticator, spawner and nbgitpuller, all on 127.0.0.1, started
once for this folder's tests and stopped at the end (also when a test fails).

Without jupyterhub, node, configurable-http-proxy or git the tests skip with the reason (in CI: fail).
"""
import os
import shutil

import pytest

from benchmarks import hub as hub_tools


def _missing(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run `make setup`)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory):
    """(url, branch, commit) of this repository's HEAD served over git's smart HTTP protocol on 127.0.0.1."""
    if not shutil.which("git"):
        _missing("git is not installed")
    with hub_tools.git_http(tmp_path_factory.mktemp("git")) as served:
        yield served


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    """A running JupyterHub (benchmarks.hub.Hub) on 127.0.0.1; stopped with its servers at the end."""
    reason = hub_tools.missing()
    if reason:
        _missing(reason)
    with hub_tools.running_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running
