"""The Playground: TensorFlow Playground's network trainer, with every building block of the book.

:class:`Playground` is the live explorer: a reader picks a data set, the input
features and the network, chooses the activation, loss, initializer, batch
normalization, optimizer and regularization, presses play and watches the
decision boundary, every unit and the losses change, one epoch per frame.  The
numbers come from :class:`nnkernel.playground.Network`.

:class:`PlaygroundReplay` is what the published page shows, where no kernel
runs: the guided experiments (``nnkernel.playground.EXPERIMENTS``) trained
beforehand, with a chooser and an epoch slider, drawn by the same figure code.

The figure (:class:`PlaygroundFigure`):

* the network: each input feature and each hidden unit as a small heatmap of
  its output over the plane, the weights as lines whose width is their size and
  whose colour their sign (blue positive, orange negative);
* the output over the plane with the training points (and the test points);
* the train and test losses per epoch;
* each hidden layer's activation spread and weight-gradient size per epoch
  (the initialization and batch-norm chapters' diagnostics).
"""
from __future__ import annotations

import html
import math

import ipywidgets as W
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap

from nnkernel import activations as _act
from nnkernel import data as _data
from nnkernel import init as _init
from nnkernel import playground as pg

from .base import Explorer
from .style import PALETTE, legend_size

__all__ = ["Playground", "PlaygroundReplay", "PlaygroundFigure", "PLAYGROUND_CMAP", "HIDE_GROUPS"]

#: TF Playground's colours: orange for negative values, white for zero, blue for positive
NEGATIVE, POSITIVE = "#E8820C", "#0877BD"
PLAYGROUND_CMAP = LinearSegmentedColormap.from_list("playground", [NEGATIVE, "#FFFFFF", POSITIVE])
_LUT = (PLAYGROUND_CMAP(np.linspace(0.0, 1.0, 256)) * 255).astype(np.uint8)

#: the size of a unit's thumbnail in pixels of the network's mosaic, and the room around it
_THUMB = 20
_CELL = 26


def _layer_style(i: int) -> tuple:
    """Layer i's (colour, dashes) in the statistics panels and in the key over its column."""
    colors = list(PALETTE.values())
    dashes = ["-", "--", "-.", ":", (0, (6, 2)), (0, (4, 1, 1, 1)), (0, (1, 3))]
    return colors[i % len(colors)], dashes[i % len(dashes)]


def _colour(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """Values clipped to [-1, 1] as RGBA through the Playground's colour map (a table lookup: no
    matplotlib normalisation on every frame)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    if discretize:
        v = np.sign(v)
    idx = np.clip(np.rint((np.clip(v, -1.0, 1.0) + 1.0) * 127.5), 0, 255).astype(np.intp)
    return _LUT[idx]


class PlaygroundFigure(Explorer):
    """A small network learning a two-dimensional data set, as in TensorFlow Playground."""

    figsize = (9.0, 6.2)
    presentation_aspect = 0.6
    page_name = "playground"

    #: the epochs shown on the loss and statistics panels grow in doublings from this many
    min_epochs = 50

    #: lay the figure out again when the panels' limits change (the page: every state is drawn as a fresh
    #: explorer would draw it); the live Playground keeps its layout, so playing never stalls for one
    relayout_on_limits = True

    def _build_figure(self):
        gs = self.fig.add_gridspec(2, 3, height_ratios=[3.4, 2.0], width_ratios=[1.5, 1.0, 1.0])
        self.ax_net = self.fig.add_subplot(gs[0, :2])
        self.ax_out = self.fig.add_subplot(gs[0, 2])
        self.ax_act = self.fig.add_subplot(gs[1, 0])
        self.ax_grad = self.fig.add_subplot(gs[1, 1])
        self.ax_loss = self.fig.add_subplot(gs[1, 2])
        lo, hi = _data.PLAYGROUND_DOMAIN
        ax = self.ax_out
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xticks([lo, 0, hi])
        ax.set_yticks([lo, 0, hi])
        ax.set_title("output")
        # the heatmaps are copied into the canvas's pixels at their places (_paste), not drawn as images:
        # matplotlib would resample each one on every frame, which cost more than the training
        self._out_rgba = np.zeros((2, 2, 4), np.uint8)
        self._thumb_rgba: list = []
        self.train_pts = ax.scatter([], [], s=14, linewidths=0.8, edgecolors="white", zorder=3)
        self.test_pts = ax.scatter([], [], s=14, linewidths=0.9, edgecolors="black", zorder=4)
        net = self.ax_net
        net.set_axis_off()
        net.set_title("the network (a column's line keys the panels below)", loc="left")
        self.links = LineCollection([], zorder=1, capstyle="round")
        net.add_collection(self.links)
        self.net_texts, self.net_keys = [], []
        for ax, title, ylabel in ((self.ax_act, "activation spread", "std of outputs"),
                                  (self.ax_grad, "weight-gradient size", "RMS of ∂L/∂W"),
                                  (self.ax_loss, "loss", "mean loss")):
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.set_ylabel(ylabel)
            ax.set_yscale("log")
        self.loss_lines = [self.ax_loss.plot([], [], color=PALETTE["black"], lw=1.6, label="train")[0],
                           self.ax_loss.plot([], [], color=PALETTE["vermillion"], lw=1.6, ls="--",
                                             label="test")[0]]
        self.ax_loss.legend(loc="upper right", fontsize=legend_size())
        self.ax_act.set_ylim(1e-3, 10)
        self.ax_grad.set_ylim(1e-6, 10)
        self.stat_lines = {"act": [], "grad": []}
        self._shape = None
        self._epoch_span = self.min_epochs
        for ax in (self.ax_act, self.ax_grad, self.ax_loss):
            ax.set_xlim(0, self._epoch_span)

    # -- the network's drawing ------------------------------------------------------------------------
    def _layout(self, net: pg.Network):
        """Place the units: one column per layer, units centred vertically; (x, y) in mosaic pixels."""
        c = net.config
        columns = [len(c.features), *c.hidden, 1]
        rows = max(columns)
        places = []
        for j, n in enumerate(columns):
            top = (rows - n) / 2
            places.append([((j + 0.5) * _CELL * 2.2, (top + i + 0.5) * _CELL) for i in range(n)])
        self._places = places
        width = int(len(columns) * _CELL * 2.2)
        height = int(rows * _CELL)
        ax = self.ax_net
        ax.set_xlim(-_CELL * 1.6, width)
        ax.set_ylim(height + 2, -_CELL * 0.95)
        ax.set_aspect("equal", adjustable="box")
        for t in self.net_texts + self.net_keys:
            t.remove()
        self.net_texts, self.net_keys = [], []
        for (x, y), name in zip(places[0], c.features):
            self.net_texts.append(ax.text(x - _THUMB * 0.75, y, pg.FEATURES[name][0], ha="right", va="center",
                                          fontsize=legend_size()))
        for j, n in enumerate(columns[1:], start=1):
            x = places[j][0][0]
            if j < len(columns) - 1:
                norm = " +BN" if c.layer_norms[j - 1] else ""
                self.net_texts.append(ax.text(x, -_CELL * 0.5, f"{n}{norm}", ha="center", va="bottom",
                                              fontsize=legend_size()))
            # the key of the panels below: layer j's line (its outputs' spread, and the gradient of the
            # weights W j that feed it) in its colour and dashes; the output's column keys the last W
            color, dashes = _layer_style(j - 1)
            self.net_keys += ax.plot([x - _THUMB * 0.8, x + _THUMB * 0.8], [-_CELL * 0.3] * 2, color=color,
                                      ls=dashes, lw=1.6, solid_capstyle="butt")
        self.links.set_segments([((x0 + _THUMB / 2, y0), (x1 - _THUMB / 2, y1))
                                 for j in range(len(columns) - 1)
                                 for (x0, y0) in places[j] for (x1, y1) in places[j + 1]])
        self._shape = (tuple(c.features), tuple(c.hidden), tuple(c.layer_norms))
        self.invalidate()

    def _thumbs(self, images: list[np.ndarray], discretize: bool):
        """Every unit's output over the plane as a small RGBA image, in the order of ``self._places``."""
        thumbs = []
        for stack in images:
            for img in stack:
                step = max(1, img.shape[0] // _THUMB)
                thumbs.append(_colour(img[::step, ::step][:_THUMB, :_THUMB], discretize))
        self._thumb_rgba = thumbs

    def _paste(self) -> None:
        """Copy the heatmaps into the canvas's pixels, each scaled (nearest pixel) to its place on screen."""
        buf = np.asarray(self.fig.canvas.buffer_rgba())
        height = buf.shape[0]

        def put(rgba, x0, y0, x1, y1):  # display coordinates, y up
            c0, c1 = int(round(min(x0, x1))), int(round(max(x0, x1)))
            r0, r1 = height - int(round(max(y0, y1))), height - int(round(min(y0, y1)))
            c0, r0 = max(c0, 0), max(r0, 0)
            c1, r1 = min(c1, buf.shape[1]), min(r1, height)
            if c1 <= c0 or r1 <= r0:
                return
            rows = (np.arange(r1 - r0) * rgba.shape[0]) // (r1 - r0)
            cols = (np.arange(c1 - c0) * rgba.shape[1]) // (c1 - c0)
            buf[r0:r1, c0:c1] = rgba[rows][:, cols]

        box = self.ax_out.bbox
        put(self._out_rgba, box.x0 + 1, box.y0 + 1, box.x1, box.y1)
        to_screen = self.ax_net.transData.transform
        h = _THUMB / 2
        places = [xy for column in getattr(self, "_places", []) for xy in column]
        for (x, y), rgba in zip(places, self._thumb_rgba):
            (x0, y0), (x1, y1) = to_screen([(x - h, y + h), (x + h, y - h)])
            put(rgba, x0, y0, x1, y1)

    def _on_draw(self, event) -> None:
        """After a full draw: keep the background, and the pixels of the legends (see _draw_animated)."""
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        buf = np.asarray(self.fig.canvas.buffer_rgba())
        renderer = self.fig.canvas.get_renderer()
        self._legend_pixels = []
        for ax in (self.ax_act, self.ax_grad, self.ax_loss):
            legend = ax.get_legend()
            if legend is not None and legend.get_visible():
                b = legend.get_window_extent(renderer)
                r0, r1 = max(0, int(buf.shape[0] - b.y1)), min(buf.shape[0], int(np.ceil(buf.shape[0] - b.y0)))
                c0, c1 = max(0, int(b.x0)), min(buf.shape[1], int(np.ceil(b.x1)))
                self._legend_pixels.append((r0, c0, buf[r0:r1, c0:c1].copy()))
        self._draw_animated()

    def _draw_animated(self) -> None:
        self._paste()
        super()._draw_animated()
        # the legends over the lines: their pixels from the background, copied back (drawing a legend again
        # on every frame would cost 5 ms of text rendering)
        buf = np.asarray(self.fig.canvas.buffer_rgba())
        for r0, c0, pixels in getattr(self, "_legend_pixels", []):
            buf[r0:r0 + pixels.shape[0], c0:c0 + pixels.shape[1]] = pixels

    def draw_network(self, net: pg.Network, show_test: bool = False, discretize: bool = False) -> None:
        """Update every artist from ``net`` as it is now."""
        c = net.config
        if self._shape != (tuple(c.features), tuple(c.hidden), tuple(c.layer_norms)):
            self._layout(net)
        g = net.grid()
        out = g["out"]
        self._out_rgba = _colour(out, discretize)
        feats = g["features"] / np.maximum(1e-12, np.max(np.abs(g["features"]), axis=(1, 2), keepdims=True))
        self._thumbs([feats, *g["hidden"], out[None]], discretize)
        # the weights: width for size, colour for sign
        ws = np.concatenate([np.asarray(W).ravel() for W in net.weights])
        ws = np.nan_to_num(ws)
        self.links.set_linewidths(np.where(ws == 0, 0.0, np.clip(np.abs(ws) * 1.2, 0.2, 4.0)))  # L1's zeros vanish
        self.links.set_colors(np.where(ws[:, None] >= 0, np.array([[8, 119, 189, 255]]) / 255,
                                       np.array([[232, 130, 12, 255]]) / 255))
        # the points: training points with a white edge, test points with a black one
        self.train_pts.set_offsets(net.X_train)
        self.train_pts.set_facecolors(_colour(net.y_train) / 255)
        self.test_pts.set_offsets(net.X_test if show_test else np.empty((0, 2)))
        self.test_pts.set_facecolors(_colour(net.y_test) / 255)
        # curves over the epochs
        hist = net.history
        epochs = np.arange(len(hist))
        span = self.min_epochs
        while span < epochs[-1]:
            span *= 2
        if span != self._epoch_span:
            self._epoch_span = span
            for ax in (self.ax_act, self.ax_grad, self.ax_loss):
                ax.set_xlim(0, span)
            self.invalidate(layout=self.relayout_on_limits)
        first = max(hist[0].train_loss, hist[0].test_loss)
        top = 10 ** math.ceil(math.log10(first * 1.5)) if math.isfinite(first) and first > 0 else 10.0
        if self.ax_loss.get_ylim() != (1e-4 * top, top):
            self.ax_loss.set_ylim(1e-4 * top, top)
            self.invalidate(layout=self.relayout_on_limits)
        lo = 1e-4 * top
        for line, key in zip(self.loss_lines, ("train_loss", "test_loss")):
            line.set_data(epochs, np.clip([getattr(r, key) for r in hist], lo, top))
        layers = len(c.hidden)
        self._stat_lines(layers)
        for k, key, low in (("act", "act_std", 1e-3), ("grad", "grad_rms", 1e-6)):
            for i, line in enumerate(self.stat_lines[k]):
                values = np.array([getattr(r, key)[i] if i < len(getattr(r, key)) else np.nan for r in hist])
                line.set_data(epochs, np.clip(values, low, 10))

    def _stat_lines(self, layers):
        """One line per hidden layer (activation spread) and per weight matrix (gradient size)."""
        want = {"act": layers, "grad": layers + 1}
        if self.animated and all(len(self.stat_lines[k]) == n for k, n in want.items()):
            return  # the lines of this network exist (the common case: a frame of training)
        for k, ax in (("act", self.ax_act), ("grad", self.ax_grad)):
            lines = self.stat_lines[k]
            if len(lines) == want[k]:
                continue
            for line in lines:
                line.remove()
            # keyed by the short lines over the network's columns (a legend here would hide the lines)
            self.stat_lines[k] = [ax.plot([], [], lw=1.4, color=_layer_style(i)[0], ls=_layer_style(i)[1])[0]
                                  for i in range(want[k])]
            self.invalidate()
        self.animated = [self.train_pts, self.test_pts, self.links, *self.loss_lines,
                         *self.stat_lines["act"], *self.stat_lines["grad"]]
        for artist in self.animated:
            artist.set_animated(True)

    def summary(self, net: pg.Network) -> str:
        """The numbers of the moment, as HTML: epoch, losses, accuracy, dead units, a divergence."""
        last = net.history[-1]
        parts = [f"epoch <b>{net.epoch}</b>", f"train loss <b>{_num(last.train_loss)}</b>",
                 f"test loss <b>{_num(last.test_loss)}</b>"]
        if net.config.problem == "classification" and math.isfinite(last.test_loss):
            parts.append(f"test accuracy <b>{net.accuracy('test'):.0%}</b>")
        if net.config.hidden:
            parts.append(f"dead units <b>{last.dead:.0%}</b>")
        text = " · ".join(parts)
        if net.diverged_at is not None:
            e, s = net.diverged_at
            text += (f"<br><b>Diverged</b> at step {s + 1} of training (in epoch {e + 1}): the loss stopped being "
                     "finite, so training stopped. A smaller learning rate keeps it finite.")
        return text

    def network_words(self, net: pg.Network) -> str:
        """Every setting of ``net``'s configuration, in words (the first half of the alt text)."""
        c = net.config
        feats = ", ".join(pg.FEATURES[f][0] for f in c.features)
        hidden = ", ".join(f"{n}{' with batch norm' if b else ''}" for n, b in zip(c.hidden, c.layer_norms))
        act = c.activation + "".join(f" ({k} {v:g})" for k, v in c.activation_kwargs.items())
        opt = pg.OPTIMIZERS[c.optimizer]
        betas = "".join(f", {'β₁' if b == 'beta1' else 'β₂'} {getattr(c, b):g}" for b in opt[1])
        words = (f"{c.dataset} data ({c.problem}, noise {c.noise:.0%}, {c.train}% for training, seed {c.seed}), "
                 f"features {feats}, hidden layers {hidden or 'none'}, {act}, {c.loss} loss, "
                 f"{c.init} initialization at scale {c.scale:g}, {opt[0]} at learning rate {c.lr:g}{betas}, "
                 f"batch size {c.batch}")
        if any(c.layer_norms):
            words += f", batch-norm momentum {c.bn_momentum:g}"
        if c.regularization != "none":
            words += f", {pg.REGULARIZATIONS[c.regularization]} regularization at rate {c.rate:g}"
        return words

def _in_kernel() -> bool:
    """True inside a running IPython kernel (a notebook, Voila), where the animation can run on its event loop."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _num(v: float) -> str:
    return f"{v:.3g}" if math.isfinite(v) else "not finite"


# ----------------------------------------------------------------------------- the live Playground
#: groups of controls an instructor can hide: ``Playground(hide=["optimizer", "features"])``
HIDE_GROUPS = ("presets", "data", "features", "network", "activation", "loss", "initialization", "batchnorm",
               "optimizer", "regularization", "state")

#: TF Playground's learning rates and regularization rates
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BETAS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
SCALES = (0.01, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 10.0)
#: the fields that change training as it runs; any other change starts again from the initial weights
LIVE_FIELDS = {"lr", "beta1", "beta2", "regularization", "rate"}


def _nearest(options, value):
    return min(options, key=lambda o: abs(math.log((o or 1e-9) / (value or 1e-9))) if value or o else 0)


class Playground(PlaygroundFigure):
    """A small network learning a two-dimensional data set, trained live in the kernel.

    ``Playground(state="dataset=spiral;hidden=8,8,8")`` starts from a state string (the
    ``state`` button shows the current one); ``hide=["optimizer", "features"]`` hides groups of
    controls (:data:`HIDE_GROUPS`) for a class.  Play trains one epoch per frame; step trains one;
    reset goes back to the initial weights.
    """

    def __init__(self, state: str = "", hide=(), grid: int = 64, **kwargs):
        unknown = set(hide) - set(HIDE_GROUPS)
        if isinstance(hide, str) or unknown:
            raise ValueError(f"Playground: hide must be a list of groups from {', '.join(HIDE_GROUPS)}, "
                             f"got {hide!r}")
        self.hidden_groups = tuple(hide)
        self.grid = int(grid)
        self.net = pg.Network(self._parse(state), grid=self.grid)
        super().__init__(**kwargs)
        self.readout.value = self.summary(self.net)

    @property
    def config(self) -> pg.Config:
        """The configuration being trained (the network's own)."""
        return self.net.config

    def _parse(self, state: str) -> pg.Config:
        """The Config of a state string; the view's flags (show_test, discretize: off unless the string says
        on) are kept in ``self._view`` only once the whole string has been read without error."""
        view = {"show_test": False, "discretize": False}
        parts = []
        for part in filter(None, (state.split(":", 1)[-1] if state else "").split(";")):
            key, _, value = part.partition("=")
            if key in view:
                if value not in ("0", "1"):
                    raise ValueError(f"Playground: {key} must be 0 or 1, got {value!r}")
                view[key] = value == "1"
            else:
                parts.append(part)
        config = pg.Config.from_state(";".join(parts))
        self._view = view
        return config

    # -- controls ------------------------------------------------------------------------------------
    def build(self):
        self._build_figure()
        c = self.config
        C = self.controls
        problems = ("classification", "regression")
        self._problem = W.ToggleButtons(options=problems, value=c.problem, description="problem")
        C["dataset"] = W.Dropdown(options=self._datasets(c.problem), value=c.dataset, description="data")
        C["noise"] = W.IntSlider(value=round(c.noise * 100), min=0, max=50, step=5, description="noise %")
        C["train"] = W.IntSlider(value=c.train, min=10, max=90, step=10, description="training %")
        C["batch"] = W.IntSlider(value=c.batch, min=1, max=30, step=1, description="batch size")
        C["seed"] = W.BoundedIntText(value=c.seed, min=0, max=pg.MAX_SEED, description="seed", layout=W.Layout(width="9em"))
        for name, (label, _) in pg.FEATURES.items():
            C[f"f_{name}"] = W.ToggleButton(value=name in c.features, description=label,
                                           layout=W.Layout(width="6.5em"))
        for name in pg.FEATURES:
            C[f"f_{name}"].observe(self._keep_one_feature, names="value")
        C["hidden"] = W.Text(value=",".join(map(str, c.hidden)), layout=W.Layout(display="none"))
        C["batchnorm"] = W.Text(value=",".join(map(str, c.layer_norms)), layout=W.Layout(display="none"))
        C["activation"] = W.Dropdown(options=[(_act.REGISTRY[n].label, n) for n in pg.HIDDEN_ACTIVATIONS],
                                     value=c.activation, description="activation")
        C["alpha"] = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="parameter",
                                   readout_format=".2f")
        self._configure_alpha(c.activation, c.alpha)
        C["loss"] = W.Dropdown(options=[(v, k) for k, v in pg.LOSSES[c.problem].items()], value=c.loss,
                               description="loss")
        C["init"] = W.Dropdown(options=list(_init.INITIALIZERS), value=c.init, description="initializer")
        C["scale"] = W.SelectionSlider(options=SCALES, value=_nearest(SCALES, c.scale), description="scale")
        C["bn_momentum"] = W.SelectionSlider(options=(0.01, 0.05, 0.1, 0.3, 0.5, 1.0),
                                             value=_nearest((0.01, 0.05, 0.1, 0.3, 0.5, 1.0), c.bn_momentum),
                                             description="BN momentum")
        C["optimizer"] = W.Dropdown(options=[(v[0], k) for k, v in pg.OPTIMIZERS.items()], value=c.optimizer,
                                    description="optimizer")
        C["lr"] = W.SelectionSlider(options=LEARNING_RATES, value=_nearest(LEARNING_RATES, c.lr),
                                    description="learning rate")
        C["beta1"] = W.SelectionSlider(options=BETAS, value=_nearest(BETAS, c.beta1), description="β₁")
        C["beta2"] = W.SelectionSlider(options=BETAS, value=_nearest(BETAS, c.beta2), description="β₂")
        C["regularization"] = W.Dropdown(options=[(v, k) for k, v in pg.REGULARIZATIONS.items()],
                                         value=c.regularization, description="regularization")
        C["rate"] = W.SelectionSlider(options=RATES, value=_nearest(RATES, c.rate), description="rate")
        self.show_test = W.Checkbox(value=self._view["show_test"], description="show test data", indent=False)
        self.discretize = W.Checkbox(value=self._view["discretize"], description="discretize output",
                                     indent=False)
        for box in (self.show_test, self.discretize):
            box.observe(lambda _: None if self._quiet else self.update(), names="value")
        self._problem.observe(self._on_problem, names="value")
        C["activation"].observe(self._on_activation, names="value")
        # the kernel paces the animation (_run): the Play widget's own timer would queue ticks faster than a
        # slow frame is drawn, and a pause would take effect only after the queue drained
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=2**30, show_repeat=False,
                           description="play", tooltip="play / pause / stop (stop = reset)")
        self.play.observe(self._on_tick, names="value")
        self.play.observe(self._on_playing, names="playing")
        self._running = None
        self.step_button = W.Button(description="step", tooltip="train one epoch", icon="step-forward")
        self.reset_button = W.Button(description="reset", tooltip="back to the initial weights", icon="undo")
        self.regenerate = W.Button(description="regenerate", tooltip="new data: the next seed")
        self.step_button.on_click(lambda _: self.tick())
        self.reset_button.on_click(lambda _: self.reset())
        self.regenerate.on_click(lambda _: setattr(C["seed"], "value", C["seed"].value + 1))
        self.state_button = W.Button(description="show state", tooltip="the state string of this setting")
        self.state_text = W.Text(value="", description="state", layout=W.Layout(width="100%"),
                                 placeholder="press “show state”")
        self.state_button.on_click(self._show_state)
        self.preset = W.Dropdown(options=[("choose an experiment…", "")] +
                                 [(e.title, k) for k, e in pg.EXPERIMENTS.items()], value="",
                                 description="load")
        self.preset.observe(self._on_preset, names="value")
        self.layer_box = W.VBox()
        self.readout = W.HTML()
        self._update_enabled()

    def _keep_one_feature(self, change):
        """A network needs an input: the last feature switched on stays on."""
        if not change["new"] and not any(self.controls[f"f_{n}"].value for n in pg.FEATURES):
            change["owner"].value = True

    def _show_state(self, _=None):
        self.state_text.value = self.state()
        # the defaults are the empty string: say so rather than show an empty box
        self.state_text.placeholder = "(empty: TF Playground's defaults)" if not self.state_text.value else ""

    def _datasets(self, problem):
        return [k for k in _data.PLAYGROUND if _data.PLAYGROUND_PROBLEM[k] == problem]

    def _configure_alpha(self, activation, value=None):
        spec = _act.REGISTRY[activation].params
        a = self.controls["alpha"]
        if spec:
            lo, hi, step = spec[0].slider
            with a.hold_trait_notifications():
                a.min, a.max = -1e9, 1e9
                a.min, a.max, a.step = lo, hi, step
            a.value = spec[0].default if value is None else value
            a.description = spec[0].name
            a.disabled = False
        else:
            a.disabled = True
            a.description = "parameter"

    def _on_problem(self, change):
        problem = change["new"]
        with self.quietly():
            self.controls["dataset"].options = self._datasets(problem)
            self.controls["dataset"].value = self._datasets(problem)[0]
            self.controls["loss"].options = [(v, k) for k, v in pg.LOSSES[problem].items()]
            self.controls["loss"].value = "square"
        self.update()

    def _on_activation(self, change):
        with self.quietly():
            self._configure_alpha(change["new"])

    def _on_preset(self, change):
        if change["new"]:
            self.restore(pg.EXPERIMENTS[change["new"]].config.state())

    def _update_enabled(self):
        C = self.controls
        uses = pg.OPTIMIZERS[C["optimizer"].value][1]
        C["beta1"].disabled = "beta1" not in uses
        C["beta2"].disabled = "beta2" not in uses
        C["rate"].disabled = C["regularization"].value == "none"
        C["bn_momentum"].disabled = "1" not in C["batchnorm"].value
        C["batch"].min = 2 if "1" in C["batchnorm"].value else 1

    def _layers(self) -> list[int]:
        text = self.controls["hidden"].value
        return [int(x) for x in text.split(",") if x]

    def _norms(self) -> list[int]:
        text = self.controls["batchnorm"].value
        norms = [int(x) for x in text.split(",") if x]
        return (norms + [0] * len(self._layers()))[: len(self._layers())]

    def _set_layers(self, layers, norms):
        with self.quietly():
            self.controls["batchnorm"].value = ",".join(map(str, norms))
        self.controls["hidden"].value = ",".join(map(str, layers))

    def _layer_rows(self) -> list:
        layers, norms = self._layers(), self._norms()

        def change(i, d):
            def go(_):
                ls = list(layers)
                ls[i] = min(pg.MAX_NEURONS, max(1, ls[i] + d))
                self._set_layers(ls, norms)
            return go

        def toggle(i):
            def go(change):
                ns = list(norms)
                ns[i] = int(change["new"])
                with self.quietly():
                    if any(ns) and self.controls["batch"].value < 2:
                        self.controls["batch"].value = 2
                self.controls["batchnorm"].value = ",".join(map(str, ns))
            return go

        def add(_):
            if len(layers) < pg.MAX_LAYERS:
                self._set_layers(layers + [layers[-1] if layers else 4], norms + [0])

        def remove(_):
            if layers:
                self._set_layers(layers[:-1], norms[:-1])

        plus_layer = W.Button(description="+ layer", tooltip="add a hidden layer", layout=W.Layout(width="7em"),
                              disabled=len(layers) >= pg.MAX_LAYERS)
        minus_layer = W.Button(description="− layer", tooltip="remove the last hidden layer",
                               layout=W.Layout(width="7em"), disabled=not layers)
        plus_layer.on_click(add)
        minus_layer.on_click(remove)
        rows = [W.HBox([W.HTML(f"<b>{len(layers)} hidden layer{'s' if len(layers) != 1 else ''}</b>"),
                        plus_layer, minus_layer])]
        for i, n in enumerate(layers):
            minus = W.Button(description="−", tooltip=f"one neuron fewer in layer {i + 1}",
                             layout=W.Layout(width="3em"), disabled=n <= 1)
            plus = W.Button(description="+", tooltip=f"one neuron more in layer {i + 1}",
                            layout=W.Layout(width="3em"), disabled=n >= pg.MAX_NEURONS)
            minus.on_click(change(i, -1))
            plus.on_click(change(i, +1))
            bn = W.Checkbox(value=bool(norms[i]), description="batch norm", indent=False)
            bn.observe(toggle(i), names="value")
            rows.append(W.HBox([W.HTML(f"layer {i + 1}: {n} neuron{'s' if n != 1 else ''}"), minus, plus, bn]))
        return rows

    def control_box(self) -> W.Widget:
        C = self.controls

        def group(name, *children, label=None):
            box = W.HBox([W.HTML(f"<b>{label or name}</b>", layout=W.Layout(width="8em")), *children],
                         layout=W.Layout(flex_flow="row wrap", align_items="center"))
            box.add_class(f"nnk-group-{name}")
            if name in self.hidden_groups:
                box.layout.display = "none"
            return box

        self.layer_box.children = self._layer_rows()
        network = W.VBox([self.layer_box])
        network.add_class("nnk-group-network")
        if "network" in self.hidden_groups:
            network.layout.display = "none"
        self._groups = [
            group("presets", self.preset, label="experiments"),
            group("run", self.play, self.step_button, self.reset_button, self.show_test, self.discretize),
            group("data", self._problem, C["dataset"], C["noise"], C["train"], C["batch"], C["seed"],
                  self.regenerate),
            group("features", *[C[f"f_{n}"] for n in pg.FEATURES]),
            network, C["hidden"], C["batchnorm"],
            group("activation", C["activation"], C["alpha"]),
            group("loss", C["loss"]),
            group("initialization", C["init"], C["scale"]),
            group("batchnorm", C["bn_momentum"], label="batch norm"),
            group("optimizer", C["optimizer"], C["lr"], C["beta1"], C["beta2"]),
            group("regularization", C["regularization"], C["rate"]),
            group("state", self.state_button, self.state_text),
            self.readout,
        ]
        return W.VBox(self._groups)

    # -- the configuration the controls describe ---------------------------------------------------
    def config_from(self, values: dict) -> pg.Config:
        feats = tuple(n for n in pg.FEATURES if values[f"f_{n}"])
        layers = tuple(self._layers())
        norms = tuple(self._norms())
        a = self.controls["alpha"]
        return pg.Config(
            dataset=values["dataset"], noise=values["noise"] / 100, train=int(values["train"]),
            batch=int(values["batch"]), seed=int(values["seed"]), features=feats, hidden=layers,
            activation=values["activation"], alpha=None if a.disabled else float(values["alpha"]),
            loss=values["loss"], init=values["init"], scale=float(values["scale"]),
            batchnorm=norms if any(norms) else (), bn_momentum=float(values["bn_momentum"]),
            optimizer=values["optimizer"], lr=float(values["lr"]), beta1=float(values["beta1"]),
            beta2=float(values["beta2"]), regularization=values["regularization"], rate=float(values["rate"]))

    def redraw(self, values):
        try:
            config = self.config_from(values)
        except ValueError as exc:  # a combination the model refuses (explained in the readout)
            self.readout.value = html.escape(str(exc))
            return
        old = self.net.config
        if config != old:
            changed = {f for f in config.__dataclass_fields__ if getattr(config, f) != getattr(old, f)}
            if changed <= LIVE_FIELDS:
                self.net.set_live(config)
            else:
                self.net = pg.Network(config, grid=self.grid)
        if self.controls["hidden"].value != getattr(self, "_rows_for", None) or \
                self.controls["batchnorm"].value != getattr(self, "_norms_for", None):
            self._rows_for, self._norms_for = self.controls["hidden"].value, self.controls["batchnorm"].value
            self.layer_box.children = self._layer_rows()
        self._update_enabled()
        self.draw_network(self.net, self.show_test.value, self.discretize.value)
        self.readout.value = self.summary(self.net)

    # -- training --------------------------------------------------------------------------------------
    #: the shortest time between two frames while playing (s): about 30 frames a second at most
    frame_interval = 1 / 30

    relayout_on_limits = False

    def tick(self) -> bool:
        """One epoch of training, then a redraw; False (and play stopped) once the run has diverged."""
        ok = self.net.train_epoch()
        if not ok and getattr(self.play, "playing", False):
            self.play.playing = False
        self.update()
        return ok

    def _on_tick(self, change):
        """A value set from outside (a test, the Play widget's own step): one tick; its stop button (back to 0):
        reset."""
        if self._own_value:
            return
        if change["new"] == 0:
            self.reset()
        else:
            self.tick()

    _own_value = False

    def _set_play(self, value: int, playing: bool | None = None) -> None:
        """Set the Play widget's counter (and whether it plays) without _on_tick taking it for a reader's move."""
        self._own_value = True
        try:
            if playing is not None:
                self.play.playing = playing
            self.play.value = value
        finally:
            self._own_value = False

    def _on_playing(self, change):
        if change["new"] and self._running is None:
            import asyncio

            try:
                loop = asyncio.get_running_loop() if _in_kernel() else None
            except RuntimeError:
                loop = None
            if loop is not None:
                self._running = loop.create_task(self._run())

    async def _run(self):
        """Train and draw while playing, one epoch per frame, letting the kernel handle the controls (pause,
        a slider) between frames."""
        import asyncio
        import time

        try:
            while self.play.playing:
                start = time.perf_counter()
                ok = self.tick()
                self._set_play(self.net.epoch)
                if not ok:
                    self.play.playing = False
                    break
                await asyncio.sleep(max(0.002, self.frame_interval - (time.perf_counter() - start)))
        finally:
            self._running = None

    def reset(self) -> None:
        """Back to the initial weights and epoch 0 (playing stops)."""
        self.net.reset()
        self._set_play(0, playing=False)
        self.update()

    # -- state and description ---------------------------------------------------------------------------
    def state(self) -> str:
        view = [f"{k}=1" for k, v in (("show_test", self.show_test.value), ("discretize", self.discretize.value))
                if v]
        return ";".join(filter(None, [self.config.state(), *view]))

    def restore(self, state: str) -> None:
        config = self._parse(state)
        C = self.controls
        with self.quietly():
            self._problem.value = config.problem
            C["dataset"].options = self._datasets(config.problem)
            C["loss"].options = [(v, k) for k, v in pg.LOSSES[config.problem].items()]
            C["dataset"].value = config.dataset
            C["noise"].value = round(config.noise * 100)
            C["train"].value, C["batch"].value, C["seed"].value = config.train, max(config.batch, 1), config.seed
            for n in pg.FEATURES:
                C[f"f_{n}"].value = n in config.features
            C["hidden"].value = ",".join(map(str, config.hidden))
            C["batchnorm"].value = ",".join(map(str, config.layer_norms))
            C["activation"].value = config.activation
            self._configure_alpha(config.activation, config.alpha)
            C["loss"].value = config.loss
            C["init"].value = config.init
            C["scale"].value = _nearest(SCALES, config.scale)
            C["bn_momentum"].value = _nearest(C["bn_momentum"].options, config.bn_momentum)
            C["optimizer"].value = config.optimizer
            C["lr"].value = _nearest(LEARNING_RATES, config.lr)
            C["beta1"].value = _nearest(BETAS, config.beta1)
            C["beta2"].value = _nearest(BETAS, config.beta2)
            C["regularization"].value = config.regularization
            C["rate"].value = _nearest(RATES, config.rate)
            self.show_test.value = self._view["show_test"]
            self.discretize.value = self._view["discretize"]
            self._set_play(0, playing=False)
        # a restored state (a loaded experiment) starts at epoch 0, even when it equals the one running
        self.net = pg.Network(self.config_from(self.values()), grid=self.grid)
        self.update()

    def describe(self) -> str:
        view = "".join(f"; {w}" for w, on in (("test points shown", self.show_test.value),
                                                ("output discretized", self.discretize.value)) if on)
        return (f"{self.subject()}. Settings: {self.network_words(self.net)}{view}. "
                f"{' '.join(html.unescape(self.summary(self.net).replace('<br>', ' ')).replace('<b>', '').replace('</b>', '').split())}")

    def _repr_mimebundle_(self, **kwargs):
        from . import page

        if page.on_static_page():  # the published page: the guided experiments, trained beforehand
            return PlaygroundReplay()._repr_mimebundle_(**kwargs)
        return super()._repr_mimebundle_(**kwargs)


# ----------------------------------------------------------------------------- the page's replay
class PlaygroundReplay(PlaygroundFigure):
    """The guided experiments of the Playground chapter, trained beforehand: choose one, move through its epochs."""

    page_order = ("experiment", "epoch")

    def __init__(self, experiment: str | None = None, grid: int = 64, **kwargs):
        self.grid = int(grid)
        names = list(pg.EXPERIMENTS)
        self._initial = experiment or names[0]
        if self._initial not in pg.EXPERIMENTS:
            raise ValueError(f"experiment must be one of {', '.join(names)}, got {experiment!r}")
        self._runs: dict = {}
        super().__init__(**kwargs)

    def build(self):
        self._build_figure()
        exp = pg.EXPERIMENTS[self._initial]
        self.controls["experiment"] = W.Dropdown(options=[(e.title, k) for k, e in pg.EXPERIMENTS.items()],
                                                 value=self._initial, description="experiment")
        self.controls["epoch"] = W.SelectionSlider(options=exp.epochs, value=exp.epochs[-1], description="epoch")
        self.controls["experiment"].observe(self._on_experiment, names="value")
        self.readout = W.HTML()

    def _on_experiment(self, change):
        epochs = pg.EXPERIMENTS[change["new"]].epochs
        with self.quietly():
            self.controls["epoch"].options = epochs
            self.controls["epoch"].value = epochs[-1]

    def run(self, name: str) -> dict:
        """The experiment's network at each of its epochs (trained once, kept): epoch -> snapshot."""
        if name not in self._runs:
            self._runs[name] = pg.EXPERIMENTS[name].replay(grid=self.grid)
        return self._runs[name]

    def redraw(self, values):
        name, epoch = values["experiment"], values["epoch"]
        net = self.run(name)[epoch]
        self.net = net
        self.draw_network(net, show_test=False)
        note = html.escape(pg.EXPERIMENTS[name].note)
        self.readout.value = f"{self.summary(net)}<br>{note}"

    def describe(self) -> str:
        net = self.net
        exp = pg.EXPERIMENTS[self.controls["experiment"].value]
        summary = html.unescape(self.summary(net).replace("<br>", " ")).replace("<b>", "").replace("</b>", "")
        return (f"{self.subject()}. Settings: experiment {exp.title}; epoch {self.controls['epoch'].value}; "
                f"{self.network_words(net)}. {' '.join(summary.split())} {exp.note}")

    def restore(self, state: str) -> None:
        """Set the experiment first: the epochs a state may name are those of its experiment."""
        text = state.split(":", 1)[1] if ":" in state else state
        texts = dict(part.split("=", 1) for part in filter(None, text.split(";")) if "=" in part)
        unknown = set(texts) - set(self.controls)
        if unknown:
            raise ValueError(f"PlaygroundReplay: unknown settings {sorted(unknown)}; settings are "
                             f"{', '.join(self.controls)}")
        name = texts.get("experiment", self.controls["experiment"].value)
        if name not in pg.EXPERIMENTS:
            raise ValueError(f"experiment: {name!r} is not one of {list(pg.EXPERIMENTS)}")
        epochs = pg.EXPERIMENTS[name].epochs
        epoch = int(texts["epoch"]) if "epoch" in texts else epochs[-1]
        if epoch not in epochs:
            raise ValueError(f"epoch: {texts.get('epoch')!r} is not one of {[str(e) for e in epochs]}")
        with self.quietly():
            self.controls["experiment"].value = name
            self.controls["epoch"].value = epoch
        self.update()
