"""The explorers on a published page (widgets/page.py): state strings, the page grid, the drawn frames."""
import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from widgets import ActivationExplorer, CoinExplorer, EWMAExplorer, InitExplorer, OptimizerExplorer, page


def _pixels(uri):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def _composite(bundle, record, layers=()):
    """The background with the overlay(s) on top, as the page stacks them."""
    out = Image.fromarray(_pixels(bundle["images"][record["bg"]]))
    overlays = [record["ov"]] if "ov" in record else [record["layers"][k]["ov"] for k in layers]
    for k in overlays:
        out = Image.alpha_composite(out, Image.fromarray(_pixels(bundle["images"][k])))
    return np.asarray(out)


def test_state_string_round_trip():
    a = ActivationExplorer(activation="elu", mode="image")
    a.controls["activation"].value = "swish"
    a.controls["beta"].value = 2.5
    text = a.state()
    assert text == "activation=swish;beta=2.50;z_mean=0.0;z_spread=1.0"  # alpha does not apply to swish
    b = ActivationExplorer(activation="elu", mode="image")  # the same start: the layout is fixed by it
    b.restore("activations:" + text)  # the page's address form, name first, works too
    assert b.state() == text
    assert np.array_equal(b.snapshot(), a.snapshot())
    # a choice that resets its sliders comes first, so the given values win over the reset
    b.restore("beta=0.50;activation=swish")
    assert b.values()["beta"] == 0.5 and b.values()["activation"] == "swish"


@pytest.mark.parametrize("text, message", [
    ("gamma=1", "not name=value for one of activation, alpha, beta"),
    ("activation=softmax", "'softmax' is not one of"),
    ("alpha=big", "'big' is not a number"),
    ("alpha", "not name=value"),
])
def test_bad_state_strings_say_what_is_wrong(text, message):
    a = ActivationExplorer(mode="image")
    with pytest.raises(ValueError, match=re.escape(message)):
        a.restore(text)


def test_multiple_choice_and_checkbox_labels():
    o = OptimizerExplorer(optimizers=("adam", "sgd"), mode="image")
    assert "optimizers=sgd+adam" in o.state()
    o.restore("optimizers=none")
    assert o.values()["optimizers"] == ()
    e = EWMAExplorer(bias_correction=True, mode="image")
    assert e.state() == "beta=0.90;bias_correction=on"
    e.restore("bias_correction=off")
    assert e.values()["bias_correction"] is False


def test_page_grid_follows_the_live_explorer():
    a = ActivationExplorer(activation="elu", mode="image")
    states = page.page_states(a)
    by_activation = {}
    for values, off in states:
        by_activation.setdefault(values["activation"], []).append((values, off))
    # every activation; alpha only where it applies, on the page's values of it (widgets.activations.PAGE_PARAMS),
    # each with the pre-activations' 5 means x 4 spreads
    assert len(by_activation) == 13 and len(states) == 680
    assert sorted({v["alpha"] for v, _ in by_activation["leaky_relu"]}) == [0.0, 0.01, 0.1, 0.2, 0.3, 0.5]
    assert all(off == {"alpha", "beta", "m"} for _, off in by_activation["relu"]) and len(by_activation["relu"]) == 20
    assert sorted({v["m"] for v, _ in by_activation["linear"]}) == [-1.0, 0.0, 0.5, 1.0, 2.0]
    assert len(by_activation["swish"]) == 100 and all("alpha" in off for _, off in by_activation["swish"])
    assert {(v["z_mean"], v["z_spread"]) for v, _ in by_activation["relu"]} == \
        {(m, s) for m in (-3.0, -1.5, 0.0, 1.5, 3.0) for s in (0.5, 1.0, 2.0, 3.0)}
    assert a.values() == {"activation": "elu", "alpha": 1.0, "beta": 1.0, "m": 1.0, "z_mean": 0.0,
                          "z_spread": 1.0}  # left as it was
    # what choosing an activation does to the sliders, probed from the live explorer
    resets = page._resets(a)["activation"]
    assert resets["leaky_relu"] == {"alpha": "0.01"} and resets["elu"] == {"alpha": "1.00"}
    assert resets["swish"] == {"beta": "1.00"} and resets["linear"] == {"m": "1.00"} and "relu" not in resets


def test_init_grid_holds_the_chapters_settings():
    e = InitExplorer(mode="image")
    states = {(round(v["scale"], 3), v["depth"], v["activation"], v["initializer"]) for v, _ in page.page_states(e)}
    assert len(states) == 18 * 6 * 4 * 7
    # each scale a point of the slider's grid, 10^(k/20) (1.413 = 10^0.15, about sqrt 2)
    for setting in [(1.0, 20, "relu", "he_normal"), (1.413, 20, "relu", "xavier_normal"), (0.1, 10, "tanh",
                    "xavier_normal"), (10.0, 10, "tanh", "xavier_normal"), (0.891, 20, "relu", "he_normal"),
                    (1.122, 20, "relu", "he_normal"), (1.0, 10, "selu", "lecun_normal")]:
        assert setting in states, setting


def test_frames_are_the_live_figure_pixel_for_pixel():
    coin = CoinExplorer(p=0.5, mode="image")
    bundle = page.page_bundle(coin)
    assert len(bundle["states"]) == 99 and coin.values()["p"] == 0.5
    assert bundle["controls"][0]["values"][:3] == ["0.01", "0.02", "0.03"]
    # one background for all: only the overlays differ
    assert len({s["bg"] for s in bundle["states"]}) == 1
    assert len({s["ov"] for s in bundle["states"]}) == 99
    for record in bundle["states"][::24]:
        coin.restore(f"p={record['v'][0]}")
        assert np.array_equal(_composite(bundle, record), coin.snapshot())
        assert record["readout"] == coin.readout.value and record["alt"] == coin.describe()
    assert bundle["source"] == {"module": "widgets.likelihood", "class": "CoinExplorer", "args": [],
                                "kwargs": {"p": 0.5}}


def test_layers_are_each_optimizer_alone():
    o = OptimizerExplorer(surface="valley", optimizers=("sgd", "adam"), mode="image")
    o.page_grid = {"lr": [], "beta": [0.9], "steps": [150]}  # each surface at its own learning rate only
    bundle = page.page_bundle(o)
    assert [s["v"][:2] for s in bundle["states"]] == [["valley", "0.13"], ["rotated", "0.13"],
                                                      ["rosenbrock", "0.002"], ["saddle", "0.1"],
                                                      ["two_minima", "0.05"]]
    record = bundle["states"][0]
    assert set(record["layers"]) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}
    o.restore("surface=valley;lr=0.13;beta=0.90;steps=150;optimizers=adam")
    assert np.array_equal(_composite(bundle, record, ["adam"]), o.snapshot())
    assert record["layers"]["adam"]["readout"] == o.readout.value
    # the alt text the page composes for a choice is the live explorer's
    o.restore("optimizers=sgd+adam")
    readouts = [record["layers"][k]["readout"] for k in ("sgd", "adam")]
    assert o.readout.value == "<br>".join(readouts)
    plain = page_plain("<br>".join(readouts))
    assert record["alt_settings"].replace("\0", "SGD, Adam") + " " + plain == o.describe()
    # stacked, two paths differ from the live drawing only where they cross
    stacked = _composite(bundle, record, ["sgd", "adam"])
    assert np.mean(np.any(stacked != o.snapshot(), axis=-1)) < 0.002


def page_plain(markup):
    from widgets.base import _plain
    return _plain(markup)


def test_the_book_build_gets_the_player(monkeypatch):
    coin = CoinExplorer(p=0.3, mode="image")
    assert "application/vnd.jupyter.widget-view+json" in coin._repr_mimebundle_()
    monkeypatch.setenv(page.STATIC_PAGE_ENV, "1")
    bundle = coin._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    markup = bundle["text/html"]
    assert markup.startswith('<div class="nnk-player" id="explorer-coin" data-nnk-player="coin">')
    data = json.loads(re.search(r'<script type="application/json" class="nnk-player-data">(.*)</script>',
                                markup).group(1).replace("<\\/", "</"))
    assert data["initial"] == "p=0.30" and data["name"] == "coin"
    # without JavaScript the page still shows the first frame and says what it shows
    first = next(s for s in data["states"] if s["v"] == ["0.30"])
    assert f'aria-label="{first["alt"]}"' in markup.replace("&#x27;", "'") and first["readout"] in markup


def test_parity_table_lists_every_control():
    table = page.parity_table(ActivationExplorer(mode="image"))
    assert "| alpha (Leaky ReLU) | 0.00 to 0.50 in steps of 0.01 (51 values) | 6: 0.00, 0.01, 0.10, 0.20, 0.30, 0.50 |" in table
    assert "| activation |" in table and "| beta | 0.00 to 5.00 in steps of 0.1 (51 values) | 5: 0.00, 0.50, 1.00, 2.00, 5.00 |" in table
    assert "| z spread | 0.1 to 3.0 in steps of 0.1 (30 values) | 4: 0.5, 1.0, 2.0, 3.0 |" in table
    table = page.parity_table(OptimizerExplorer(mode="image"))
    assert "any set: each one drawn alone" in table and "| steps | 10 to 300 in steps of 10 (30 values) | 3: 50, 150, 300 |" in table


def test_a_state_is_drawn_the_same_whatever_the_path_to_it():
    """An explorer lays its figure out again when a static part changes; started from the same places each
    time, so that the page (which walks its grid in order) and a reader (who jumps) see the same pixels."""
    from widgets.initialization import InitExplorer

    walked = InitExplorer(mode="image")
    for activation in ("tanh", "relu", "selu", "sigmoid"):
        for initializer in ("xavier_normal", "he_normal", "lecun_normal"):
            walked.restore(f"activation={activation};initializer={initializer};scale=3.16")
    target = "scale=0.1;depth=10;activation=relu;initializer=he_normal"
    walked.restore(target)
    direct = InitExplorer(mode="image")
    direct.restore(target)
    assert np.array_equal(walked.snapshot(), direct.snapshot())
