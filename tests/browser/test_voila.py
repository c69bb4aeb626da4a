"""An explorer served by Voila: move a slider with the keyboard, the figure follows, and matches the parameter."""
import statistics

import numpy as np
import pytest

from benchmarks.live import key_to_pixels, pixels, settled, wait_painted
from widgets import DEMOS


def test_slider_moves_the_figure_and_it_matches_the_parameter(voila_server, page):
    page.goto(f"{voila_server}/voila/render/activations.ipynb")
    page.wait_for_selector(".nnk-control-alpha .noUi-handle", timeout=90000)
    wait_painted(page)
    latencies = key_to_pixels(page, ".nnk-control-alpha", presses=25)
    assert len(latencies) == 25  # every press moved the slider and changed the figure
    page.wait_for_timeout(500)
    alpha = float(page.locator(".nnk-control-alpha .widget-readout").inner_text())
    assert alpha == pytest.approx(0.26)  # 0.01 + 25 steps of 0.01

    # the browser's pixels equal the same explorer drawn here at that alpha
    from widgets.activations import ActivationExplorer

    ex = ActivationExplorer(activation="leaky_relu", mode="image")
    ex.controls["alpha"].value = alpha
    expected = ex.snapshot()
    got = pixels(page)
    assert got.shape == expected.shape
    diff = np.abs(got[..., :3].astype(int) - expected[..., :3].astype(int))
    assert diff.mean() < 2.0
    ex.controls["alpha"].value = 0.01
    assert np.abs(got[..., :3].astype(int) - ex.snapshot()[..., :3].astype(int)).mean() > diff.mean() + 0.5

    med = statistics.median(latencies)
    print(f"Voila key press -> changed pixels: median {med:.0f} ms (benchmarks/frontends.py records it)")


READOUT = ".nnk-explorer .widget-html-content"


def _kernel_readout(page):
    """The explorer's readout, which the kernel writes from its own values of the controls."""
    return page.locator(READOUT).first.inner_text()


def test_every_activation_comes_up_at_its_own_defaults(voila_server, page):
    """Choosing an activation resets its sliders in one message: the slider shows the activation's
    default, the kernel computes with it, and the arrow keys move it (ELU -> leaky ReLU once showed
    alpha = 0.50, the old range's maximum, sent back by the browser after the kernel set 0.01)."""
    from nnkernel.activations import REGISTRY
    from widgets.activations import CHOICES, SLIDERS

    page.goto(f"{voila_server}/voila/render/activations.ipynb")
    page.wait_for_selector(".nnk-control-activation select", timeout=90000)
    wait_painted(page)
    wrong = {}
    for name in [*CHOICES, "elu", "prelu", "leaky_relu"]:  # and the switches the bug was seen on
        info = REGISTRY[name]
        page.select_option(".nnk-control-activation select", label=info.label)
        sliders = [p for p in info.params if p.name in SLIDERS]
        want = {p.name: f"{p.default:.2f}" for p in sliders}

        def agrees():
            text = _kernel_readout(page)
            shown = {n: page.locator(f".nnk-control-{n} .widget-readout").inner_text().strip() for n in want}
            return text.startswith(info.label) and shown == want and \
                all(f"{n} = {v}" in text for n, v in want.items())

        if not settled(page, agrees):
            wrong[name] = {"readout": _kernel_readout(page), "want": want}
            continue
        for p in sliders:  # the keyboard moves the slider one step, and the kernel follows
            page.locator(f".nnk-control-{p.name} .noUi-handle").focus()
            page.keyboard.press("ArrowRight")
            step = p.slider[2]
            moved = f"{p.name} = {min(p.default + step, p.slider[1]):.2f}"
            if not settled(page, lambda: moved in _kernel_readout(page)):
                wrong[f"{name} {p.name} ArrowRight"] = _kernel_readout(page)
    assert wrong == {}


def test_each_demo_starts_at_its_documented_default(voila_server, page):
    """The initialization explorer starts at weight scale 1 (it once came up at 14.1, a value off the
    slider's grid that the browser rounded and sent back)."""
    from widgets.initialization import InitExplorer

    default = InitExplorer(mode="image")
    page.goto(f"{voila_server}/voila/render/initialization.ipynb")
    page.wait_for_selector(".nnk-control-scale .widget-readout", timeout=90000)
    wait_painted(page)
    want = f"{default.controls['scale'].value:.3g}"
    assert want == "1"
    # the slider's own readout is formatted by the browser (d3's ".3g" keeps zeros: "1.00")
    assert settled(page, lambda: float(page.locator(".nnk-control-scale .widget-readout").inner_text()) == 1.0
                    and f"weight scale {want}:" in _kernel_readout(page)), \
        (page.locator(".nnk-control-scale .widget-readout").inner_text(), _kernel_readout(page))
    # one slider per control: no second, kernel-free copy under the live explorer
    assert page.locator(".nnk-control-scale").count() == 1 and page.locator(".nnk-player").count() == 0


def test_a_preheated_demo_plots(browser):
    """`make demo` keeps a kernel that has already run the demo (Voila's preheat), and the page it serves
    plots.  How soon is a benchmark's figure (python -m benchmarks --sections frontends; goal 5 s)."""
    from benchmarks.live import preheated_first_plot

    seconds = preheated_first_plot(browser)
    print(f"Voila, preheated: first plot {seconds:.1f} s after opening the page")


#: every piece of text in the explorer's controls and readout, with its computed font size (CSS px)
_CONTROL_TEXT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.nnk-explorer *')) {
    if (el.closest('.nnk-explorer-figure') || el.offsetParent === null) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches('select, option, input[type=text], .widget-readout');
    if (!own && !field) continue;
    out.push({text: (el.innerText || el.value || '').trim().slice(0, 30), px: parseFloat(getComputedStyle(el).fontSize)});
  }
  const ex = document.querySelector('.nnk-explorer').getBoundingClientRect();
  const img = document.querySelector('.nnk-explorer-figure');
  return {texts: out, bottom: ex.bottom, shown: img.getBoundingClientRect().width, natural: img.naturalWidth,
          scrollWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("name", list(DEMOS))
def test_presentation_mode_is_projector_sized(presentation_server, browser, name):
    """`make demo PRESENTATION=1` on a 1920 x 1080 screen: the figure spans the window, its smallest text and
    every control's text are at least 32 CSS px high (font size), and the explorer fits on the screen."""
    from widgets import DEMOS, base
    from widgets.dark import smallest_text_pt

    cls, kwargs = DEMOS[name]
    ex = cls(mode="image", presentation=True, **kwargs)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(f"{presentation_server}/voila/render/{name}.ipynb")
        wait_painted(page, 90)
        page.wait_for_timeout(300)
        m = page.evaluate(_CONTROL_TEXT)
    finally:
        context.close()
    assert m["natural"] == ex.fig.canvas.get_width_height()[0]  # the figure this test measures is the one shown
    figure_px = smallest_text_pt(ex.fig) * ex.fig.dpi / 72 * m["shown"] / m["natural"]
    small = [t for t in m["texts"] if t["px"] < base.PRESENTATION_TEXT_PX]
    print(f"{name}: figure text {figure_px:.1f} px, controls {min(t['px'] for t in m['texts']):.0f} px, "
          f"figure {m['shown']:.0f} px wide, bottom at {m['bottom']:.0f} px")
    assert figure_px >= base.PRESENTATION_TEXT_PX
    assert small == []
    assert m["shown"] >= 0.9 * 1920 and m["scrollWidth"] <= 1920
    assert m["bottom"] <= 1080
