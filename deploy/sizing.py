"""Sizing a course's JupyterHub from the measured class (``python -m benchmarks --sections hub``, records
with ``section == "hub"`` in benchmarks/results.json).

The rules, applied to the latest run's figures:

* memory guarantee: the median student server's peak RSS (JupyterLab's server and the chapter's
  kernel), rounded up to a multiple of 64 MiB;
* memory limit: twice the largest peak RSS measured, rounded up to a multiple of 128 MiB (room for a
  second chapter's kernel left running);
* CPU guarantee: the CPU time of one launch (login to first plot: the student's server and kernel, with
  the hub's, the proxy's and the git server's share) over 30 s, rounded up to a multiple of 0.05 core:
  the share of a core with which a whole class pressing the button at once sees its first plot within
  30 s.  (CPU time, unlike the class's wall-clock times, hardly depends on what else the measuring
  machine runs.)
* CPU limit: one core, a policy (a chapter's kernel computes on one thread at the chapters' sizes).

deploy/z2jh/values.yaml holds these numbers; tests/test_deploy.py checks they are what this module
computes from results.json, and book/deploy.ipynb prints the class-size table from the same functions.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
CPU_LIMIT = 1.0
#: launch -> first plot that a class should see (the class benchmark's limit)
LAUNCH_S = 30.0
#: an example node for the table (a common cloud size): 8 cores, 32 GiB, of which the table counts 90 %
#: as allocatable (the kubelet, system pods and the image cache keep the rest)
NODE_CORES, NODE_GIB, ALLOCATABLE = 8, 32, 0.9
CLASS_SIZES = (100, 500, 2000)


def _up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def hub_records(path: Path = RESULTS) -> list[dict]:
    """The latest hub run's records (those of the most recent machine date)."""
    records = [r for r in json.loads(Path(path).read_text()) if r.get("section") == "hub"]
    if not records:
        return []
    latest = max(r["machine"]["date"] for r in records)
    return [r for r in records if r["machine"]["date"] == latest]


def figures(records: list[dict]) -> dict:
    """The measured figures a sizing needs, by name."""
    if not records:
        raise ValueError("no hub records: run `python -m benchmarks --sections hub`")
    by_metric = {r["metric"]: r for r in records}

    def value(prefix):
        return next(r["value"] for m, r in by_metric.items() if m.startswith(prefix))

    per_size = {}
    for r in records:
        if "students" in r and r["metric"].startswith("launch -> first plot"):
            kind = "median" if " median," in r["metric"] else "p95"
            per_size.setdefault(int(r["students"]), {})[kind] = r["value"]
    return {"rss_median_mib": value("student server peak RSS (server + kernel), median"),
            "rss_max_mib": value("student server peak RSS (server + kernel), max"),
            "cpu_s": value("student CPU time"), "held": int(value("students held")),
            "launch_cpu_s": value("CPU time of one launch"), "held_cpu": int(value("students an unshared")),
            "cores": int(records[0]["machine"]["cpus"]), "per_size": dict(sorted(per_size.items())),
            "load": value("load average")}


def per_student(fig: dict) -> dict:
    """The per-student resources for values.yaml (memory in MiB, CPU in cores)."""
    cores_per_student = fig["launch_cpu_s"] / LAUNCH_S
    return {"memory_guarantee_mib": int(_up(fig["rss_median_mib"], 64)),
            "memory_limit_mib": int(_up(2 * fig["rss_max_mib"], 128)),
            "cpu_guarantee": round(_up(cores_per_student, 0.05), 2),
            "cpu_limit": CPU_LIMIT}


def class_table(fig: dict, sizes=CLASS_SIZES) -> list[dict]:
    """For each class size: memory the scheduler reserves (guarantees) and the memory the measured median
    student uses, cores for the whole class launching at once within 30 s (the CPU guarantees), CPU-hours
    of one session (every student launches and runs the chapter once), and example nodes."""
    each = per_student(fig)
    rows = []
    for n in sizes:
        reserved_gib = n * each["memory_guarantee_mib"] / 1024
        used_gib = n * fig["rss_median_mib"] / 1024
        cores = n * each["cpu_guarantee"]
        nodes = max(math.ceil(cores / NODE_CORES), math.ceil(reserved_gib / (NODE_GIB * ALLOCATABLE)))
        rows.append({"students": n, "memory_reserved_gib": reserved_gib, "memory_used_gib": used_gib,
                     "cores_at_once": cores, "cpu_hours": n * fig["cpu_s"] / 3600, "nodes": nodes})
    return rows


def markdown_table(rows: list[dict]) -> str:
    head = ("| students | memory reserved (GiB) | memory in use (GiB) | cores, all launching at once "
            f"| CPU-hours per session | {NODE_CORES}-core {NODE_GIB} GiB nodes |\n|---:|---:|---:|---:|---:|---:|")
    lines = [f"| {r['students']:,} | {r['memory_reserved_gib']:.0f} | {r['memory_used_gib']:.0f} "
             f"| {r['cores_at_once']:.0f} | {r['cpu_hours']:.1f} | {r['nodes']} |" for r in rows]
    return "\n".join([head, *lines])
