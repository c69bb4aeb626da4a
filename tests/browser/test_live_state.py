"""Live explorers keep the right state, in Voila and in JupyterLab.

For every demo explorer, in both front ends: the first state is the documented default, and after every
choice a dropdown offers, three things agree with the same explorer built here in Python (the state
the kernel should reach):

* every slider's shown value (its readout, formatted by the browser),
* the kernel's own values, read from the figure's description (``Explorer.describe()``, which the kernel
  writes beside the figure from every control's value),
* the figure's pixels.

A value the browser sends back after the kernel set another (ELU -> leaky ReLU once showed alpha = 0.50,
the initialization explorer once started at weight scale 14.1) breaks the first two.
"""
import json
import re

import numpy as np
import pytest

from benchmarks.live import PAINTED, pixels, settled
from widgets import DEMOS

ALT = ".nnk-alt .widget-html-content"


def _dropdowns(explorer):
    import ipywidgets as W

    return [n for n, c in explorer.controls.items() if isinstance(c, W.Dropdown)]


def _close_enough(shown: str, value: float) -> bool:
    """A slider readout (d3-formatted: "0.260", "1.00", "1e-3", "150") against the value it should show: equal
    to the digits it shows."""
    m = re.fullmatch(r"\s*(−|-)?(\d*)(?:\.(\d+))?(?:e([+−-]?\d+))?\s*", shown)
    assert m, shown
    sign, whole, frac, exp = m.groups()
    number = float(f"{'-' if sign else ''}{whole or 0}.{frac or 0}e{(exp or '0').replace('−', '-')}")
    unit = 10.0 ** (-(len(frac) if frac else 0) + (int(exp.replace("−", "-")) if exp else 0))
    return abs(number - value) <= 0.51 * unit


def _disagreements(page, explorer) -> dict:
    """What differs between the page and ``explorer`` (the state the kernel should be in)."""
    wrong = {}
    want = explorer.describe()
    alt = lambda: page.locator(ALT).first.text_content()  # noqa: E731
    if not settled(page, lambda: alt() == want):
        wrong["kernel"] = {"page": alt(), "want": want}
    for name, control in explorer.controls.items():
        if hasattr(control, "min") and not getattr(control, "disabled", False):
            shown = page.locator(f".nnk-control-{name} .widget-readout").first.inner_text()
            if not _close_enough(shown, control.value):
                wrong[f"slider {name}"] = {"shown": shown, "kernel should have": control.value}
    picture = pixels(page)
    expected = explorer.snapshot()
    if picture.shape != expected.shape:
        wrong["figure"] = f"shape {picture.shape} != {expected.shape}"
    else:
        diff = float(np.abs(picture[..., :3].astype(int) - expected[..., :3].astype(int)).mean())
        if diff > 1.0:
            wrong["figure"] = f"mean difference {diff:.2f} per channel"
    return wrong


def _walk(page, name):
    """The default state, then every dropdown choice in turn (each from the state the one before left); fails
    with every disagreement."""
    cls, kwargs = DEMOS[name]
    explorer = cls(mode="image", **kwargs)
    page.wait_for_function(PAINTED, timeout=120000, polling=100)
    wrong = {}
    first = _disagreements(page, explorer)
    if first:
        wrong["first state"] = first
    for control_name in _dropdowns(explorer):
        control = explorer.controls[control_name]
        for label, value in [(o if isinstance(o, tuple) else (o, o)) for o in control.options]:
            if value == control.value:
                continue
            page.select_option(f".nnk-control-{control_name} select", label=label)
            control.value = value
            found = _disagreements(page, explorer)
            if found:
                wrong[f"{control_name} = {label}"] = found
    if wrong:
        pytest.fail(json.dumps(wrong, indent=1, ensure_ascii=False))




@pytest.mark.parametrize("name", list(DEMOS))
def test_voila_state_agrees_after_every_choice(voila_server, page, name):
    page.goto(f"{voila_server}/voila/render/{name}.ipynb")
    _walk(page, name)
    assert page.external_requests == []  # Voila's Font Awesome comes from its bundle, not a CDN


@pytest.mark.parametrize("name", list(DEMOS))
def test_jupyterlab_state_agrees_after_every_choice(lab_server, page, name):
    from benchmarks.live import open_in_lab

    open_in_lab(page, lab_server, f"{name}.ipynb")
    _walk(page, name)
