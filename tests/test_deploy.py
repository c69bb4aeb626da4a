"""The course's deployment files: deploy/z2jh/values.yaml follows the measured class (deploy/sizing.py's
rules applied to benchmarks/results.json's hub records), its image is built from requirements.txt, and
the instructor's page book/deploy.ipynb prints the figures and table those rules give."""
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))
import sizing

VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"


def _mib(value: str) -> int:
    """A KubeSpawner byte size (K, M, G, T are powers of 1024) in MiB."""
    number, unit = re.fullmatch(r"([0-9.]+)([KMGT])", str(value)).groups()
    return round(float(number) * 1024 ** "KMGT".index(unit) / 1024)


@pytest.fixture(scope="module")
def measured():
    records = sizing.hub_records()
    assert records, "benchmarks/results.json has no hub records: run `python -m benchmarks --sections hub`"
    return sizing.figures(records)


def test_values_parse_and_follow_the_measurements(measured):
    values = yaml.safe_load(VALUES.read_text())
    user = values["singleuser"]
    assert user["image"]["name"] and user["defaultUrl"] == "/lab"
    assert user["extraEnv"]["NBGITPULLER_APP"] == "lab"
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] > 0
    each = sizing.per_student(measured)
    assert _mib(user["memory"]["guarantee"]) == each["memory_guarantee_mib"]
    assert _mib(user["memory"]["limit"]) == each["memory_limit_mib"]
    assert float(user["cpu"]["guarantee"]) == pytest.approx(each["cpu_guarantee"])
    assert float(user["cpu"]["limit"]) == each["cpu_limit"]
    # the rules' rounding: at least the measurement, by less than one step
    assert 0 <= each["memory_guarantee_mib"] - measured["rss_median_mib"] < 64
    assert 0 <= each["memory_limit_mib"] - 2 * measured["rss_max_mib"] < 128


def test_sizing_rules():
    fig = {"rss_median_mib": 300.2, "rss_max_mib": 390.0, "cpu_s": 18.0, "held": 1, "cores": 2,
           "launch_cpu_s": 14.6, "held_cpu": 4, "per_size": {}, "load": 1.0}
    assert sizing.per_student(fig) == {"memory_guarantee_mib": 320, "memory_limit_mib": 896,
                                       "cpu_guarantee": 0.5, "cpu_limit": 1.0}
    row = sizing.class_table(fig, sizes=(100,))[0]
    assert row["memory_reserved_gib"] == pytest.approx(100 * 320 / 1024)
    assert row["cores_at_once"] == pytest.approx(50)
    assert row["nodes"] == 7  # 50 cores / 8 per node, more than 31.25 GiB / 28.8 GiB
    assert row["cpu_hours"] == pytest.approx(0.5)


def test_image_is_built_from_requirements():
    dockerfile = (ROOT / "deploy" / "z2jh" / "Dockerfile").read_text()
    assert "FROM quay.io/jupyter/base-notebook" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    requirements = (ROOT / "requirements.txt").read_text().split()
    assert any(r.startswith("nbgitpuller==") for r in requirements) and "-e" in requirements
    assert ".venv" in (ROOT / "deploy" / "z2jh" / "Dockerfile.dockerignore").read_text().split()


def test_deploy_page_prints_what_the_rules_give(measured):
    """The instructor's page, executed as the book builds it, shows sizing.py's figures and table."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.read(ROOT / "book" / "deploy.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(ROOT / "book")}}).execute()
    shown = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error"
            shown.append(out.get("text") or out.get("data", {}).get("text/markdown", ""))
    page = "\n".join(shown)
    assert sizing.markdown_table(sizing.class_table(measured)) in page
    each = sizing.per_student(measured)
    assert f"memory guarantee {each['memory_guarantee_mib']} MiB" in page
    assert f"Students held with the 95th percentile within 30 s: {measured['held']}." in page
    for n, s in measured["per_size"].items():
        assert f"| {n} | {s['median']:.1f} | {s['p95']:.1f} |" in page
