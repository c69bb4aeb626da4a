"""Write one Voila-ready notebook per explorer (and per app: the Playground) into demos/ (run: python demos/make_demos.py).

Each notebook shows a single explorer, full window.  In the environment, NNK_PRESENTATION=1 selects
the projector size and NNK_EXPLORER_MODE the display path ("image", "ipympl"; default "auto", the
faster one as benchmarks/frontends.py measures it).
"""
import os

import nbformat as nbf

from widgets import APPS, DEMOS

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    for name, (explorer, kwargs) in {**DEMOS, **APPS}.items():
        module, cls = explorer.__module__, explorer.__name__
        args = ", ".join(f"{k}={v!r}".replace("'", '"') for k, v in kwargs.items())
        nb = nbf.v4.new_notebook()
        sep = ", " if args else ""
        nb.cells = [nbf.v4.new_code_cell(id=name, source=
            "import os\n"
            f"from {module} import {cls}\n\n"
            "presentation = os.environ.get(\"NNK_PRESENTATION\") == \"1\"\n"
            "mode = os.environ.get(\"NNK_EXPLORER_MODE\", \"auto\")\n"
            f"{cls}(\n    {args}{sep}presentation=presentation, mode=mode\n)"
        )]
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nbf.write(nb, os.path.join(HERE, f"{name}.ipynb"))


if __name__ == "__main__":
    main()
