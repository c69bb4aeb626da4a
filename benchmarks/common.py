"""Timing helpers and the results table shared by the benchmark sections."""
from __future__ import annotations

import json
import os
import platform
import statistics
import time


def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    return info


def best_of(fn, repeat=5, number=1, sync=None):
    """Median wall time of ``number`` calls, over ``repeat`` runs, after one warm-up (seconds per call)."""
    fn()
    if sync:
        sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        if sync:
            sync()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


class Results:
    """Collects records and prints them as a table; writes benchmarks/results.json."""

    def __init__(self):
        self.records = []

    def add(self, benchmark, metric, value, unit, goal=None, direction=None, **extra):
        rec = {"benchmark": benchmark, "metric": metric, "value": float(value), "unit": unit, "goal": goal,
               "direction": direction, **extra}
        if goal is not None:
            rec["met"] = bool(value <= goal) if direction == "max" else bool(value >= goal)
        self.records.append(rec)
        flag = "" if goal is None else ("  met" if rec["met"] else "  NOT met")
        goal_s = "" if goal is None else f" (goal {'<=' if direction == 'max' else '>='} {goal:g})"
        print(f"{benchmark:<28} {metric:<44} {value:>12.4g} {unit:<8}{goal_s}{flag}", flush=True)
        return rec

    def write(self, path, extra_machine=None):
        """Write the records, each with the machine it ran on; records of other machines are kept."""
        m = machine()
        if extra_machine:
            m.update(extra_machine)
        m["date"] = time.strftime("%Y-%m-%d %H:%M")
        m["kind"] = m.get("gpu") or "cpu"
        kept = []
        if os.path.exists(path):
            try:
                with open(path) as f:
                    old = json.load(f)
                sections = {r["section"] for r in self.records if "section" in r}
                kept = [r for r in old if isinstance(r, dict)
                        and not (r.get("machine", {}).get("kind") == m["kind"] and r.get("section") in sections)]
            except (json.JSONDecodeError, KeyError, TypeError):
                kept = []
        with open(path, "w") as f:
            json.dump(kept + [{**r, "machine": m} for r in self.records], f, indent=1)
