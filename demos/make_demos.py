"""Write one Voila-ready notebook per explorer into demos/ (run: python demos/make_demos.py).

Each notebook shows a single explorer, full window, with ipympl for in-place
updates; NNK_PRESENTATION=1 in the environment selects the large lecture size.
"""
import os

import nbformat as nbf

HERE = os.path.dirname(os.path.abspath(__file__))

DEMOS = {
    "activations": ("widgets.activations", "ActivationExplorer", 'activation="leaky_relu"'),
    "coin": ("widgets.likelihood", "CoinExplorer", ""),
    "gaussian_noise": ("widgets.likelihood", "GaussianNoiseExplorer", ""),
    "huber": ("widgets.losses", "HuberExplorer", ""),
    "initialization": ("widgets.initialization", "InitExplorer", ""),
    "batch_normalization": ("widgets.batchnorm", "BatchNormExplorer", ""),
    "ewma": ("widgets.ewma", "EWMAExplorer", ""),
    "optimizers": ("widgets.optimizers", "OptimizerExplorer", ""),
}


def main():
    for name, (module, cls, args) in DEMOS.items():
        nb = nbf.v4.new_notebook()
        sep = ", " if args else ""
        nb.cells = [nbf.v4.new_code_cell(
            "%matplotlib widget\n"
            "import os\n"
            f"from {module} import {cls}\n\n"
            "presentation = os.environ.get(\"NNK_PRESENTATION\") == \"1\"\n"
            f"{cls}({args}{sep}presentation=presentation)"
        )]
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nbf.write(nb, os.path.join(HERE, f"{name}.ipynb"))


if __name__ == "__main__":
    main()
