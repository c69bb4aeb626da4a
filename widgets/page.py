"""An explorer on a published page, where no kernel runs: every state drawn beforehand.

A state is one value per control, written as a short string,
``"activation=elu;alpha=0.50;beta=1.00"`` (:func:`state_string`); the same string restores
the live explorer (``Explorer.restore``) and, after ``#<page name>:`` in a page's address,
the explorer on the page.

:func:`page_bundle` walks the explorer's page grid: control by control, the values
``Explorer.page_values(name)`` offers with the controls before it set, so a dropdown's own
side effects (an activation resetting its sliders) shape the grid exactly as they shape the
live explorer.  Every state is drawn by the explorer's own ``update()``: nothing is computed
twice, in Python or in JavaScript.  Each frame is kept as

* a background, the static part of the figure, stored once and shared by every state that
  draws on it, and
* an overlay: the pixels that differ from the background, transparent elsewhere,

both as lossless WebP, so that the background with the overlay on top is the live frame, pixel
for pixel.  Beside them go the readout and the description (the alt text).  An explorer with a
``layer_control`` (a multiple choice whose options draw independent artists, such as the
optimizers) keeps one overlay per option; the page stacks the chosen ones.

The page's player (``book/vendor/nnk-player.js``) only looks states up and swaps images.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os

import ipywidgets as W
import numpy as np
from PIL import Image

from . import dark

#: set (to "1") while the book is built: an explorer then shows its kernel-free player in the page
STATIC_PAGE_ENV = "NNK_STATIC_PAGE"


def on_static_page() -> bool:
    """True while the book is being built (``book/_ext/nnk_pages.py`` sets ``NNK_STATIC_PAGE=1``)."""
    return os.environ.get(STATIC_PAGE_ENV) == "1"


# -- a control's value as a short label, and back -------------------------------------------------
def control_label(name: str, control) -> str:
    """A control's name as the reader sees it: its description without TeX's $ and backslashes."""
    return (getattr(control, "description", "") or name).replace("$", "").replace("\\", "").strip(": ")


def kind(control) -> str:
    """How the page shows a control: "range" (any slider), "select", "checkbox" or "multiple"."""
    if isinstance(control, W.Checkbox):
        return "checkbox"
    if isinstance(control, W.SelectMultiple):
        return "multiple"
    if isinstance(control, (W.Dropdown, W.Select, W.RadioButtons, W.ToggleButtons)):
        return "select"
    return "range"


def label(control, value) -> str:
    """``value`` of ``control`` as the page and the state string write it (ASCII, no ``;`` or ``=``)."""
    k = kind(control)
    if k == "checkbox":
        return "on" if value else "off"
    if k == "multiple":  # in the options' order, as the page writes it
        return "+".join(str(v) for _, v in _pairs(control) if v in value) or "none"
    if k == "select":
        return str(value)
    if isinstance(control, W.SelectionSlider):
        return str(dict((v, l) for l, v in control._options_full).get(value, value)) \
            if hasattr(control, "_options_full") else str(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    fmt = getattr(control, "readout_format", ".3g") or ".3g"
    return format(float(value), fmt)


def parse(control, text: str):
    """The control's value written as ``text`` (the inverse of :func:`label`)."""
    k = kind(control)
    if k == "checkbox":
        if text not in ("on", "off"):
            raise ValueError(f"{control.description or 'checkbox'}: expected on or off, got {text!r}")
        return text == "on"
    if k == "multiple":
        keys = [] if text == "none" else text.split("+")
        values = [v for _, v in _pairs(control)]
        unknown = [t for t in keys if t not in map(str, values)]
        if unknown:
            raise ValueError(f"{control.description}: unknown options {unknown}; choose from {values}")
        return tuple(v for v in values if str(v) in keys)
    if k == "select" or isinstance(control, W.SelectionSlider):
        for lab, v in _pairs(control):
            if str(v) == text or (isinstance(control, W.SelectionSlider) and str(lab) == text):
                return v
        raise ValueError(f"{control.description}: {text!r} is not one of {[str(v) for _, v in _pairs(control)]}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{control.description}: {text!r} is not a number") from None
    return on_grid(control, value)


def on_grid(control, value: float):
    """The point of a slider's grid (``min + k * step``, in the exponent for a log slider) nearest ``value``,
    within its range: the value a browser would show, and send back, for ``value``.  (A label rounds a value
    to the digits it shows, "0.13" for 10^-0.9; parsing it lands on the grid point it came from.)"""
    if not hasattr(control, "step") or not control.step:
        return value
    log = isinstance(control, W.FloatLogSlider)
    if log:
        if value <= 0:
            return float(control.base ** control.min)
        value = float(np.log(value) / np.log(control.base))
    k = round((min(max(value, control.min), control.max) - control.min) / control.step)
    point = control.min + k * control.step
    if isinstance(control, W.IntSlider):
        return int(point)
    point = round(point, 12)  # 0.1 + 16 * 0.01 is 0.26000000000000001
    return float(control.base ** point) if log else float(point)


def _pairs(control):
    """(label, value) for every option of a selection control."""
    return [(l, v) for l, v in control._options_full] if hasattr(control, "_options_full") else \
        [(str(v), v) for v in control.options]


def state_string(controls: dict, values: dict | None = None, skip=()) -> str:
    """``"name=label;name=label"`` for every control (not those in ``skip``), at ``values`` or as they are."""
    values = values or {n: c.value for n, c in controls.items()}
    return ";".join(f"{n}={label(c, values[n])}" for n, c in controls.items() if n not in skip)


def state_texts(controls: dict, text: str) -> dict:
    """The values written in a state string, as written, by control name; names it does not mention are
    left out (an unknown name is an error)."""
    out = {}
    for part in filter(None, text.strip().lstrip("#").split(";")):
        name, sep, value = part.partition("=")
        if not sep or name not in controls:
            raise ValueError(f"state {text!r}: {part!r} is not name=value for one of {', '.join(controls)}")
        out[name] = value
    return out


def parse_state(controls: dict, text: str) -> dict:
    """The values written in a state string, each parsed by its control as it is configured now; names it
    does not mention are left out."""
    return {name: parse(controls[name], value) for name, value in state_texts(controls, text).items()}


# -- the grid, drawn ------------------------------------------------------------------------------
def _webp(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="webp", lossless=True, quality=50, method=4, exact=True)
    return buf.getvalue()


class _Images:
    """Distinct images, each stored once: index by content."""

    def __init__(self):
        self.uris: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, rgba: np.ndarray) -> int:
        rgba = np.ascontiguousarray(rgba)
        key = hashlib.sha1(rgba.data).hexdigest() + str(rgba.shape)
        if key not in self._index:
            data = _webp(rgba)
            self._index[key] = len(self.uris)
            self.uris.append("data:image/webp;base64," + base64.b64encode(data).decode("ascii"))
        return self._index[key]


def _frame_parts(explorer):
    """(background, overlay) pixels of the frame shown now; the overlay is transparent where they agree."""
    frame = explorer.snapshot()
    cached = getattr(explorer, "_page_background", (None, None))
    if cached[0] is not explorer._background:  # the static part was drawn anew: read it once
        explorer.fig.canvas.restore_region(explorer._background)
        cached = (explorer._background, explorer.snapshot())
        explorer._page_background = cached
        explorer._draw_animated()  # put the frame back as it was
    background = cached[1]
    overlay = frame.copy()
    overlay[frame.view(np.uint32)[..., 0] == background.view(np.uint32)[..., 0]] = 0
    return background, overlay


def page_states(explorer):
    """Every state of the page grid, as {name: value}, in the order the page lists them.

    Controls are taken in order; each one's values come from ``explorer.page_values(name)`` with the
    controls before it already set (through their own observers, as in the live explorer).  A
    disabled control keeps the value it has and is marked ``None`` in the returned ``disabled`` set.
    """
    first = [n for n in explorer.page_order if n in explorer.controls]
    names = first + [n for n in explorer.controls if n != explorer.layer_control and n not in first]
    out = []

    def walk(i, chosen, disabled):
        if i == len(names):
            out.append((dict(chosen), frozenset(disabled)))
            return
        name = names[i]
        control = explorer.controls[name]
        if getattr(control, "disabled", False):
            walk(i + 1, {**chosen, name: control.value}, disabled | {name})
            return
        for value in explorer.page_values(name):
            control.value = value
            walk(i + 1, {**chosen, name: control.value}, disabled)

    saved = dict(explorer.values())
    with explorer.quietly():
        walk(0, {}, frozenset())
    _set(explorer, saved)
    return out


def _set(explorer, values: dict) -> None:
    """Set the controls quietly, in the explorer's order (a choice's own resets come before the values)."""
    with explorer.quietly():
        for name, control in explorer.controls.items():
            if name in values:
                control.value = values[name]


def _resets(explorer) -> dict:
    """What choosing each option of a selection control does to the other controls, in the live explorer.

    {control: {option label: {other control: new label}}}, for the options whose choice sets other
    controls (an activation resetting its sliders to its defaults, a surface its learning rate).
    Each option is chosen twice, from the explorer's initial state and from one with every other
    slider moved to an end; a control that ends at the same value both times was set by the choice.
    The page applies the same moves.
    """
    out = {}
    start = dict(explorer.values())
    others = [n for n in explorer.controls if n != explorer.layer_control]

    def choose(name, value, moved):
        with explorer.quietly():
            control = explorer.controls[name]
            control.value = next(v for _, v in _pairs(control) if v != value)  # so that choosing value fires
            for n in others:
                if n != name:
                    explorer.controls[n].value = start[n]
            for n in others:
                c = explorer.controls[n]
                if moved and n != name and kind(c) == "range" and not isinstance(c, W.SelectionSlider):
                    c.value = c.max if c.value != c.max else c.min
            explorer.controls[name].value = value
            return {n: explorer.controls[n].value for n in others}, \
                {n for n in others if explorer.controls[n].disabled}

    for name, control in explorer.controls.items():
        if kind(control) != "select" or name == explorer.layer_control:
            continue
        for _, value in _pairs(control):
            (a, off), (b, _) = choose(name, value, False), choose(name, value, True)
            set_by_choice = {n: label(explorer.controls[n], a[n]) for n in others
                             if n != name and n not in off and a[n] == b[n]
                             and kind(explorer.controls[n]) == "range"}
            if set_by_choice:
                out.setdefault(name, {})[label(control, value)] = set_by_choice
    _set(explorer, {n: start[n] for n in others})
    return out


def _control_spec(name, control, values: list) -> dict:
    spec = {"name": name, "kind": kind(control), "label": control_label(name, control)}
    if spec["kind"] in ("select", "multiple"):
        shown = {str(v): str(l) for l, v in _pairs(control)}
        spec["options"] = [[label(control, v), shown.get(str(v), str(v))] for v in values]
    else:
        spec["values"] = [label(control, v) for v in values]
    return spec


def page_bundle(explorer) -> dict:
    """Every state of the explorer's page grid, drawn: what the page's player needs, as a dict.

    Keys: ``name``, ``controls`` (name, kind, label, and the values or options the page offers),
    ``images`` (data URIs, each distinct image once), ``states`` (per state: the control labels,
    ``null`` where a control does not apply, the background's and overlay's image numbers, the
    readout and the alt text; with a layer control, one overlay, readout and alt text per option),
    ``images_dark`` (the same images drawn for the dark page, in the same order: widgets/dark.py),
    ``resets`` (see :func:`_resets`), ``initial`` (the state string shown first), ``source``
    (the explorer's class and arguments, so a test can draw any state again), and ``font_pt`` and
    ``dpi``, the figure's smallest text size and its resolution.
    """
    explorer._off_screen = True
    try:
        return _page_bundle(explorer)
    finally:
        explorer._off_screen = False
        explorer.update()


def _walk(explorer, images: _Images, seen: dict | None = None) -> list[dict]:
    """Draw every state of the page grid into ``images``; one record per state (see :func:`page_bundle`)."""
    layer = explorer.layer_control
    names = [n for n in explorer.controls if n != layer]
    states = []
    for values, disabled in page_states(explorer):
        _set(explorer, values)
        if seen is not None:
            for n in names:
                if n not in disabled and values[n] not in seen[n]:
                    seen[n].append(values[n])
        labels = [None if n in disabled else label(explorer.controls[n], values[n]) for n in names]
        record = {"v": labels}
        if layer is None:
            explorer.update()
            background, overlay = _frame_parts(explorer)
            record.update(bg=images.add(background), ov=images.add(overlay),
                          readout=explorer.readout.value if explorer.readout is not None else "",
                          alt=explorer.describe())
        else:
            control = explorer.controls[layer]
            with explorer.quietly():
                control.value = ()
            explorer.update()
            background, _ = _frame_parts(explorer)
            record.update(bg=images.add(background), readout=explorer.readout.value, alt=explorer.describe(),
                          alt_settings=explorer._describe(hold=layer, readout=False), layers={})
            for _, option in _pairs(control):
                with explorer.quietly():
                    control.value = (option,)
                explorer.update()
                bg, overlay = _frame_parts(explorer)
                if not np.array_equal(bg, background):
                    raise RuntimeError(f"{type(explorer).__name__}: the background changes with {layer}; "
                                       "a layer control may only move animated artists")
                record["layers"][str(option)] = {"ov": images.add(overlay), "readout": explorer.readout.value}
        states.append(record)
    return states


def _image_numbers(record: dict) -> list[int]:
    """The numbers of the images a state record draws with: background, overlay, each layer's overlay."""
    return [record["bg"]] + ([record["ov"]] if "ov" in record else []) + \
        [layer["ov"] for layer in record.get("layers", {}).values()]


def _dark_images(explorer, states: list[dict], count: int) -> list[str]:
    """The same grid drawn for the dark page (widgets/dark.py): the dark twin of each of ``count`` images."""
    images = _Images()
    with dark.drawn_dark(explorer.fig):
        explorer.invalidate()
        dark_states = _walk(explorer, images)
    explorer.invalidate()
    twins: list[str | None] = [None] * count
    for light, drawn in zip(states, dark_states, strict=True):
        for i, j in zip(_image_numbers(light), _image_numbers(drawn), strict=True):
            if twins[i] not in (None, images.uris[j]):
                raise RuntimeError(f"{type(explorer).__name__}: one light frame has two dark renderings")
            twins[i] = images.uris[j]
    return twins


def _page_bundle(explorer) -> dict:
    saved = dict(explorer.values())
    initial = explorer.state()
    resets = _resets(explorer)
    images = _Images()
    layer = explorer.layer_control
    seen: dict[str, list] = {n: [] for n in explorer.controls}
    states = _walk(explorer, images, seen)
    _set(explorer, saved)  # the dark walk starts where the light one did, so it walks the same grid
    images_dark = _dark_images(explorer, states, len(images.uris))
    controls = []
    for name, control in explorer.controls.items():
        values = [v for _, v in _pairs(control)] if name == layer else seen[name]
        controls.append(_control_spec(name, control, values))
    _set(explorer, saved)
    return {"name": explorer.page_name, "controls": controls, "layer": layer, "images": images.uris,
            "images_dark": images_dark, "states": states, "resets": resets, "initial": initial,
            "subject": explorer.subject(), "source": explorer.source(),
            "font_pt": dark.smallest_text_pt(explorer.fig), "dpi": explorer.fig.dpi}


def page_html(explorer) -> str:
    """The explorer as the published page shows it: its first frame, and the data the player needs.

    Without JavaScript the page still shows the first frame, its readout and its alt text.
    """
    bundle = page_bundle(explorer)
    first = next(s for s in bundle["states"] if _matches(bundle, s, bundle["initial"]))
    layers = ""
    if bundle["layer"]:
        chosen = dict(part.split("=", 1) for part in bundle["initial"].split(";"))[bundle["layer"]].split("+")
        layers = "".join(
            f'<img class="nnk-layer" data-layer="{html.escape(key)}" alt="" decoding="sync" loading="lazy" src="{bundle["images"][rec["ov"]]}"'
            f'{"" if key in chosen else " hidden"}>'
            for key, rec in first["layers"].items())
        readout = "<br>".join(first["layers"][k]["readout"] for k in first["layers"] if k in chosen) or \
            first["readout"]
        overlay = ""
    else:
        readout = first["readout"]
        overlay = f'<img class="nnk-overlay" alt="" decoding="sync" loading="lazy" src="{bundle["images"][first["ov"]]}">'
    data = json.dumps(bundle, separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="nnk-player" id="explorer-{bundle["name"]}" data-nnk-player="{bundle["name"]}">'
            f'<div class="nnk-controls"></div>'
            f'<div class="nnk-readout" aria-live="polite">{readout}</div>'
            f'<div class="nnk-frame" role="img" aria-label="{html.escape(first["alt"])}" '
            f'data-nnk-font-pt="{bundle["font_pt"]}" data-nnk-dpi="{bundle["dpi"]}">'
            f'<img class="nnk-background" alt="" decoding="sync" loading="lazy" src="{bundle["images"][first["bg"]]}">{overlay}{layers}</div>'
            f'<script type="application/json" class="nnk-player-data">{data}</script></div>')


def _matches(bundle, record, state: str) -> bool:
    want = dict(part.split("=", 1) for part in state.split(";"))
    names = [c["name"] for c in bundle["controls"] if c["name"] != bundle["layer"]]
    return all(v is None or want.get(n) == v for n, v in zip(names, record["v"]))


# -- what the page offers, against what the live explorer offers ----------------------------------
def _live_range(control) -> tuple[str, list[str]]:
    """A slider's live values in words, and all of them as labels."""
    if isinstance(control, W.SelectionSlider):
        labels = [label(control, v) for _, v in _pairs(control)]
        return ", ".join(labels), labels
    lo, hi, step = control.min, control.max, control.step
    n = int(round((hi - lo) / step)) + 1
    exponents = lo + np.arange(n) * step
    if isinstance(control, W.FloatLogSlider):
        labels = [label(control, control.base ** e) for e in exponents]
        return (f"{labels[0]} to {labels[-1]}, {n} steps of {step:g} in log{control.base:g} "
                f"(any value in a notebook)"), labels
    labels = [label(control, v) for v in exponents]
    return f"{labels[0]} to {labels[-1]} in steps of {step:g} ({n} values)", labels


def _page_words(values: list[str], live: list[str]) -> str:
    if values == live:
        return f"all {len(values)}"
    if len(values) > 30:
        return f"{len(values)} values: {', '.join(values[:3])}, …, {', '.join(values[-3:])}"
    return f"{len(values)}: " + ", ".join(values)


def parity(explorer) -> list[tuple[str, str, str]]:
    """(control, values reachable live, values reachable on the page), one row per control.

    A slider whose range depends on a dropdown before it (an activation's alpha) gets one row per
    choice of that dropdown.  Computed from the page grid itself (:func:`page_states`).
    """
    states = page_states(explorer)
    saved = dict(explorer.values())
    names = list(explorer.controls)
    rows = []
    for name, control in explorer.controls.items():
        shown = control_label(name, control)
        if name == explorer.layer_control:
            options = ", ".join(str(l) for l, _ in _pairs(control))
            rows.append((shown, f"any set of {options}", "any set: each one drawn alone, the chosen ones stacked"))
            continue
        k = kind(control)
        if k in ("select", "checkbox"):
            live = [label(control, v) for _, v in _pairs(control)] if k == "select" else ["on", "off"]
            seen = {label(control, s[name]) for s, off in states if name not in off}
            page = [v for v in live if v in seen]
            words = {str(v): str(l) for l, v in _pairs(control)} if k == "select" else {}
            rows.append((shown, ", ".join(words.get(v, v) for v in live),
                         "all" if page == live else ", ".join(words.get(v, v) for v in page)))
            continue
        selects = [n for n in names[:names.index(name)] if kind(explorer.controls[n]) == "select"]
        groups: dict = {}
        for s, off in states:
            if name in off:
                continue
            key = tuple(s[n] for n in selects)
            first, values = groups.setdefault(key, (s, []))
            text = label(control, s[name])
            if text not in values:
                values.append(text)
        distinct = {tuple(v) for _, v in groups.values()}
        for key, (first, values) in groups.items():
            _set(explorer, first)
            live_words, live = _live_range(control)
            values = sorted(values, key=float)
            where = "" if len(distinct) == 1 else " (" + ", ".join(
                str(dict((str(v), str(l)) for l, v in _pairs(explorer.controls[n])).get(str(k_), k_))
                for n, k_ in zip(selects, key)) + ")"
            rows.append((shown + where, live_words, _page_words(values, live)))
            if len(distinct) == 1:
                break
    _set(explorer, saved)
    return rows


def parity_table(explorer) -> str:
    """:func:`parity` as a Markdown table."""
    lines = ["| control | live (notebook, JupyterLab, Voilà) | on the page |", "|---|---|---|"]
    lines += [f"| {c} | {live} | {page} |" for c, live, page in parity(explorer)]
    return "\n".join(lines)
