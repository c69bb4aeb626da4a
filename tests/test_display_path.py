"""The explorers' display path and their kept static parts (widgets/base.py).

* A dropdown's drawings, kept and reused (``static_controls``) or drawn ahead while the reader is idle
  (``warm``), give the very pixels, PNG and readout that drawing them again gives.
* ``mode="auto"`` follows the documented rule: the override, the recorded faster path, the image path.
* An explorer's first updates import nothing new (no Numba, no compile on the reader's clock).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from widgets import base
from widgets.activations import ActivationExplorer
from widgets.initialization import InitExplorer
from widgets.momentum_rate import MomentumRateExplorer
from widgets.optimizers import OptimizerExplorer

ROOT = Path(__file__).resolve().parents[1]

#: (explorer, a slider to move between the choices)
CACHED = [(ActivationExplorer, "z_spread"), (InitExplorer, "scale"), (OptimizerExplorer, "lr"),
          (MomentumRateExplorer, "alpha")]


def _options(control):
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def _pair(cls):
    kept = cls(mode="image")
    plain = cls(mode="image")
    plain.static_controls = ()  # the drawing as before: every static part drawn again
    plain._statics.clear()
    return kept, plain


def _same(kept, plain, what):
    assert np.array_equal(kept.snapshot(), plain.snapshot()), what
    assert kept.view.value == plain.view.value, what
    if kept.readout is not None:
        assert kept.readout.value == plain.readout.value, what


def _slider_step(control):
    """A value one step from the slider's current one, inside its range."""
    if type(control).__name__ == "FloatLogSlider":
        exp = np.log10(control.value) + control.step
        return float(control.base ** (exp if exp <= control.max else exp - 2 * control.step))
    v = control.value + control.step
    return v if v <= control.max else control.value - control.step


@pytest.mark.parametrize("cls, slider", CACHED, ids=[c.__name__ for c, _ in CACHED])
def test_kept_static_parts_draw_the_same(cls, slider):
    kept, plain = _pair(cls)
    assert cls.static_controls, "an explorer with dropdowns names its static controls"
    for name in cls.static_controls:
        control = kept.controls[name]
        if not hasattr(control, "options"):
            continue
        first = control.value
        # every option, a slider step in between, and back: the second visit is a kept part
        for option in [*_options(control)[:4], first, *_options(control)[:2]]:
            for ex in (kept, plain):
                ex.controls[name].value = option
            _same(kept, plain, f"{name}={option!r}")
            new = _slider_step(kept.controls[slider])
            for ex in (kept, plain):
                ex.controls[slider].value = new
            _same(kept, plain, f"{name}={option!r}, {slider} moved")
    assert len(kept._statics) > 1


@pytest.mark.parametrize("cls, slider", CACHED, ids=[c.__name__ for c, _ in CACHED])
def test_warming_changes_nothing_and_makes_a_choice_a_hit(cls, slider):
    kept, plain = _pair(cls)
    readout = kept.readout.value if kept.readout is not None else None
    before, png = kept.snapshot(), kept.view.value
    drawn = kept.warm(limit=3)
    assert drawn == min(3, len(kept.neighbours()))
    assert np.array_equal(kept.snapshot(), before) and kept.view.value == png
    if readout is not None:
        assert kept.readout.value == readout
    # a slider step right after warming draws what the plain explorer draws
    new = _slider_step(kept.controls[slider])
    for ex in (kept, plain):
        ex.controls[slider].value = new
    _same(kept, plain, "slider after warming")
    # a warmed choice is drawn without a full draw, and the same as drawing it
    kept.warm()
    assert all(kept.static_key(v) in kept._statics for v in kept.neighbours())
    target = kept.neighbours()[-1]
    name = next(n for n in kept.static_controls if target[n] != kept.values()[n])
    full = []
    kept.fig.canvas.mpl_connect("draw_event", lambda event: full.append(1))
    for ex in (kept, plain):
        ex.controls[name].value = target[name]
    assert not full, "a warmed choice needs no full draw"
    _same(kept, plain, f"warmed {name}={target[name]!r}")


def test_no_static_controls_no_cache():
    from widgets.losses import HuberExplorer

    ex = HuberExplorer(mode="image")
    assert ex.static_key() is None and ex.neighbours() == [] and ex.warm() == 0 and not ex._statics


def test_auto_mode_rule(tmp_path, monkeypatch):
    record = tmp_path / "display_path.json"
    monkeypatch.setattr(base, "DISPLAY_PATH_FILE", record)
    for var in ("NNK_EXPLORER_MODE", "VOILA_KERNEL_ID", "VOILA_BASE_URL", "VOILA_APP_PORT"):
        monkeypatch.delenv(var, raising=False)
    assert base.choose_mode("auto") == "image"  # no record
    assert base.choose_mode("ipympl") == "ipympl" and base.choose_mode("image") == "image"
    record.write_text(json.dumps({"lab": {"faster": "ipympl"}, "voila": {"faster": "image"}}))
    assert base.front_end() == "lab" and base.choose_mode("auto") == "ipympl"
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    assert base.front_end() == "voila" and base.choose_mode("auto") == "image"
    monkeypatch.setenv("NNK_EXPLORER_MODE", "ipympl")  # the override wins over the record
    assert base.choose_mode("auto") == "ipympl"
    monkeypatch.setenv("NNK_EXPLORER_MODE", "auto")
    record.write_text("not json")
    assert base.choose_mode("auto") == "image"
    with pytest.raises(ValueError, match="mode must be one of"):
        OptimizerExplorer(mode="png")


def test_recorded_display_path_is_well_formed():
    """The file the front-end benchmark writes, if present: a path per front end, one of the two."""
    if not base.DISPLAY_PATH_FILE.exists():
        pytest.skip("no display path recorded on this checkout")
    record = json.loads(base.DISPLAY_PATH_FILE.read_text())
    assert set(record) >= {"lab", "voila"}
    for front in ("lab", "voila"):
        assert record[front]["faster"] in ("image", "ipympl")


_FIRST = """
import sys, widgets
import ipywidgets as W
from nnkernel import fused
fused_calls = []
if hasattr(fused, "applies"):  # every use of the Numba path is decided here: count the yeses
    _applies = fused.applies
    def applies(*args, **kwargs):
        yes = _applies(*args, **kwargs)
        if yes and updating:
            fused_calls.append(name)
        return yes
    fused.applies = applies
out, updating = {}, False
for name, (cls, kw) in widgets.DEMOS.items():
    ex = cls(mode="image", **kw)
    before, updating = set(sys.modules), True
    for n, c in ex.controls.items():
        if c.disabled:
            continue
        if hasattr(c, "min") and not isinstance(c, W.SelectionSlider):
            c.value = c.max if c.value != c.max else c.min
        elif isinstance(c, W.Dropdown):
            opts = [o[1] if isinstance(o, tuple) else o for o in c.options]
            c.value = next(o for o in opts if o != c.value)
    out[name] = sorted(set(sys.modules) - before)
    updating = False
import json; print(json.dumps({"fused": fused_calls, "new": out}))
"""


def test_first_updates_import_nothing():
    """Every demo explorer, built, then each control changed once: no module is imported on the reader's
    clock, and no update takes nnkernel's Numba path (small arrays never do), so nothing compiles.  (An
    explorer may use it while it is built: the logistic surface's loss over its whole grid.)"""
    got = subprocess.run([sys.executable, "-c", _FIRST], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=600)
    result = json.loads(got.stdout.strip().splitlines()[-1])
    assert result["fused"] == [], "an update took the Numba path"
    assert result["new"] == {name: [] for name in result["new"]}
