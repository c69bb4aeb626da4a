"""Run the benchmarks: ``python -m benchmarks [--sections explorers,frontends,playground,kernel,gpu,book,accuracy,hub]``.

Prints a table and writes benchmarks/results.json (records of other machines are kept); the accuracy
section also writes its full table to benchmarks/accuracy.json.
"""
from __future__ import annotations

import argparse
import os

from . import kernel
from .common import Results

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", default="explorers,frontends,playground,kernel,gpu,book,accuracy",
                        help="comma-separated: explorers, frontends (live front ends in Chromium), playground (the "
                             "Playground: tick time, steps/s against PyTorch, Voila updates/s), kernel, gpu, book, accuracy, "
                             "hub (a class at once on a local JupyterHub; not in the default set)")
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    results = Results()
    extra = {}
    if "explorers" in sections:
        from . import explorers

        explorers.run(results)
        explorers.startup(results)
    if "frontends" in sections:
        from . import frontends

        frontends.run(results)
    if "playground" in sections:
        from . import playground

        playground.run(results)
    if "kernel" in sections:
        kernel.run_cpu(results)
    if "gpu" in sections:
        gpu = kernel.run_gpu(results)
        if gpu:
            extra["gpu"] = gpu
    if "book" in sections:
        from . import book

        book.run(results)
    if "accuracy" in sections:
        from . import accuracy

        accuracy.run(results)
    if "hub" in sections:
        from . import hub

        hub.run(results)
    results.write(args.out, extra)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
