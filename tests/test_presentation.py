"""Presentation mode (a projector in a lecture hall): every explorer's smallest text is at least 32 CSS px
on a 1920-px screen, and no text collides with other text or leaves the figure, in every choice a
dropdown offers.  (The browser measures the same on the screen: tests/browser/test_voila.py.)"""
import itertools

import ipywidgets as W
import matplotlib
import pytest

from widgets import base
from widgets.dark import smallest_text_pt

from widgets import DEMOS


def text_boxes(fig):
    """Every piece of text drawn on ``fig`` as (what, window extent): tick labels inside the view (the ones
    drawn), axis labels, titles, annotations, and each legend as one box (its frame)."""
    renderer = fig.canvas.get_renderer()
    texts, legends = list(fig.texts), list(fig.legends)
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis._update_ticks():  # the ticks drawn: those inside the view limits
                texts += [tick.label1, tick.label2]
            texts += [axis.label, axis.offsetText]
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    for extra in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, extra, None) is not None:
            texts.append(getattr(fig, extra))
    boxes = [(f"legend {[t.get_text() for t in lg.get_texts()][:2]}", lg.get_window_extent(renderer))
             for lg in legends if lg.get_visible()]
    boxes += [(repr(t.get_text()), t.get_window_extent(renderer)) for t in texts
              if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0]
    return boxes


def collisions(fig, gap_pt=2.0):
    """Pairs of text boxes closer than ``gap_pt`` points (touching labels read as one number), and boxes that
    leave the figure."""
    fig.canvas.draw()
    boxes = text_boxes(fig)
    gap = gap_pt * fig.dpi / 72
    W_, H_ = fig.bbox.width, fig.bbox.height
    out = [f"{a} leaves the figure" for a, b in boxes if b.x0 < -1 or b.y0 < -1 or b.x1 > W_ + 1 or b.y1 > H_ + 1]
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > -gap and min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > -gap:
            out.append(f"{a} touches {b}")
    return out


def _choices(explorer):
    """Every state reached by choosing one option of one dropdown (the others at their defaults)."""
    yield "default", {}
    for name, control in explorer.controls.items():
        if isinstance(control, W.Dropdown):
            for label, value in [(o if isinstance(o, tuple) else (o, o)) for o in control.options]:
                yield f"{name}={label}", {name: value}


def _check(explorer):
    problems = {}
    for what, values in _choices(explorer):
        with explorer.quietly():
            for name, value in values.items():
                explorer.controls[name].value = value
        explorer.update()
        with matplotlib.rc_context(explorer.rc):
            found = collisions(explorer.fig)
        if found:
            problems[what] = found
    return problems


@pytest.mark.parametrize("name", list(DEMOS))
def test_presentation_text_is_projector_sized_and_nothing_collides(name):
    cls, kwargs = DEMOS[name]
    ex = cls(mode="image", presentation=True, **kwargs)
    width_in = ex.fig.get_size_inches()[0]
    # the figure spans the screen's width, less the page's margins (Voila: 2 x 20 px)
    shown_px = base.PRESENTATION_SCREEN_PX - 80
    smallest_px = smallest_text_pt(ex.fig) / 72 * shown_px / width_in
    assert smallest_px >= base.PRESENTATION_TEXT_PX, smallest_px
    assert _check(ex) == {}


@pytest.mark.parametrize("name", list(DEMOS))
def test_page_size_text_does_not_collide(name):
    cls, kwargs = DEMOS[name]
    assert _check(cls(mode="image", **kwargs)) == {}


# the Playground (an app, widgets.APPS: it trains as it plays) and the page's replay of its experiments, at
# the network's largest (six layers of eight units, seven features) and after some training
_BIG = "features=x1,x2,x1_sq,x2_sq,x1x2,sin_x1,sin_x2;hidden=8,8,8,8,8,8;batchnorm=1,0,1,0,1,0"


@pytest.mark.parametrize("state", ["", _BIG])
@pytest.mark.parametrize("presentation", [False, True])
def test_playground_text_is_legible_and_nothing_collides(state, presentation):
    from widgets.playground import Playground

    ex = Playground(mode="image", presentation=presentation, state=state)
    for _ in range(3):
        ex.tick()
    if presentation:
        shown_px = base.PRESENTATION_SCREEN_PX - 80
        smallest_px = smallest_text_pt(ex.fig) / 72 * shown_px / ex.fig.get_size_inches()[0]
        assert smallest_px >= base.PRESENTATION_TEXT_PX, smallest_px
    with matplotlib.rc_context(ex.rc):
        assert collisions(ex.fig) == []


def test_playground_replay_nothing_collides():
    from nnkernel.playground import EXPERIMENTS
    from widgets.playground import PlaygroundReplay

    ex = PlaygroundReplay(mode="image")
    problems = {}
    for name, exp in EXPERIMENTS.items():
        ex.controls["experiment"].value = name
        with matplotlib.rc_context(ex.rc):
            found = collisions(ex.fig)
        if found:
            problems[name] = found
    assert problems == {}
