"""TensorFlow Playground's network, built from the book's blocks.

A :class:`Config` holds everything a reader chooses: the data set and its
noise, the train/test split, the input features, the hidden layers, the
activation, the loss, the initializer, batch normalization, the optimizer and
the regularization.  It is written as a short string (:meth:`Config.state`),
the way TF Playground keeps its state in its address, and read back with
:meth:`Config.from_state`.

A :class:`Network` trains that configuration one epoch at a time, as TF
Playground does between two frames of its animation, and records per epoch
the train and test losses and what the chapters teach to watch: each hidden
layer's activation spread and weight-gradient size, the dead units, and the
step at which a run diverged.  Its defaults are TF Playground's: the circle,
features X1 and X2, two hidden layers of 4 and 2 tanh units, weights
U(-0.5, 0.5) and biases 0.1, batch 10, plain SGD at learning rate 0.03, and
the square loss 1/2 (o - t)^2 on a tanh output (labels -1 and +1).

It computes on the host with NumPy whatever the backend: its arrays are a few
hundred points by at most eight units, where a GPU's launch costs more than the work.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from . import activations as _act
from . import backend
from . import data as _data
from . import init as _init
from . import losses as _losses
from . import optim as _optim
from . import regularization as _reg
from .layers import Activation, BatchNorm, Dense
from .models import Sequential

__all__ = ["FEATURES", "INIT_KWARGS", "BIAS_INIT", "LOSSES", "OPTIMIZERS", "REGULARIZATIONS", "Config", "Network", "feature_matrix",
           "grid_points"]

#: input features: name -> (label, function of the two coordinates)
FEATURES = {
    "x1": ("X₁", lambda a, b: a),
    "x2": ("X₂", lambda a, b: b),
    "x1_sq": ("X₁²", lambda a, b: a * a),
    "x2_sq": ("X₂²", lambda a, b: b * b),
    "x1x2": ("X₁X₂", lambda a, b: a * b),
    "sin_x1": ("sin(X₁)", lambda a, b: np.sin(a)),
    "sin_x2": ("sin(X₂)", lambda a, b: np.sin(b)),
}

#: losses per problem type: name -> label.  "square" is TF Playground's 1/2 (o - t)^2 (on a tanh output for
#: classification); "cross_entropy" is BCE on the output logit (labels 0/1), "hinge" max(0, 1 - t z)
LOSSES = {
    "classification": {"square": "square ½(o − t)²", "cross_entropy": "cross-entropy (logits)",
                       "hinge": "hinge"},
    "regression": {"square": "square ½(o − t)²", "huber": "Huber (δ = 1)"},
}

#: the optimizers: name -> (label, the hyperparameters beside the learning rate that it uses)
OPTIMIZERS = {
    "sgd": ("SGD", ()),
    "momentum": ("momentum", ("beta1",)),
    "nesterov": ("Nesterov", ("beta1",)),
    "adagrad": ("Adagrad", ()),
    "rmsprop": ("RMSProp", ("beta2",)),
    "adam": ("Adam", ("beta1", "beta2")),
}

REGULARIZATIONS = {"none": "none", "l1": "L1", "l2": "L2"}

#: activations a hidden layer can use: every elementwise one in the registry
HIDDEN_ACTIVATIONS = tuple(n for n, info in _act.REGISTRY.items() if info.elementwise)

#: TF Playground's scales for the initializers that have one (its weights are U(-0.5, 0.5)); the others use
#: their formula
INIT_KWARGS = {"random_uniform": {"limit": 0.5}, "random_normal": {"std": 0.5}, "constant": {"value": 0.5}}
BIAS_INIT = 0.1

MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_SEED = 2**31 - 1


def feature_matrix(X, names) -> np.ndarray:
    """The chosen features of the points X (shape (n, 2)) as columns, in ``names``' order."""
    X = np.asarray(X, dtype=np.float64)
    a, b = X[:, 0], X[:, 1]
    return np.stack([FEATURES[n][1](a, b) for n in names], axis=1)


def grid_points(size: int, domain=None) -> tuple[np.ndarray, np.ndarray]:
    """(coordinates of the cell centres along one axis, the size*size points row by row, y from the top)."""
    lo, hi = domain or _data.PLAYGROUND_DOMAIN
    step = (hi - lo) / size
    axis = lo + step * (np.arange(size) + 0.5)
    xx, yy = np.meshgrid(axis, axis[::-1])
    return axis, np.c_[xx.ravel(), yy.ravel()]


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        short = f"{v:.6g}"
        return short if float(short) == v else repr(v)  # exact: the state string reads back the same Config
    if isinstance(v, tuple):
        return ",".join(_fmt(x) for x in v) if v else "-"
    return str(v)


@dataclass(frozen=True)
class Config:
    """One Playground setting.  Field names are the state string's keys."""

    dataset: str = "circle"
    noise: float = 0.0          # TF's noise percentage / 100, 0 to 0.5
    train: int = 50             # percentage of the points used for training
    batch: int = 10
    seed: int = 0
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)      # neurons per hidden layer
    activation: str = "tanh"
    alpha: float | None = None  # the activation's parameter (alpha, beta or m); None: its default
    loss: str = "square"
    init: str = "random_uniform"
    scale: float = 1.0          # the initial weights are scale * init(fan_in, fan_out)
    batchnorm: tuple = ()       # 1 or 0 per hidden layer
    bn_momentum: float = 0.1
    optimizer: str = "sgd"
    lr: float = 0.03
    beta1: float = 0.9
    beta2: float = 0.999
    regularization: str = "none"
    rate: float = 0.0

    def __post_init__(self):
        self.check()
        if not any(self.batchnorm):  # (0, 0) means no batch norm: one Config for it, as the state string has
            object.__setattr__(self, "batchnorm", ())

    # -- checks -----------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise ValueError (naming the field) unless every field is valid."""
        def bad(name, what):
            raise ValueError(f"Playground: {name} must be {what}, got {getattr(self, name)!r}")

        if self.dataset not in _data.PLAYGROUND:
            bad("dataset", f"one of {', '.join(_data.PLAYGROUND)}")
        if not (isinstance(self.noise, (int, float)) and 0.0 <= self.noise <= 0.5):
            bad("noise", "a number in [0, 0.5]")
        if not (isinstance(self.train, int) and 10 <= self.train <= 90):
            bad("train", "an integer percentage from 10 to 90")
        if not (isinstance(self.batch, int) and 1 <= self.batch <= 30):
            bad("batch", "an integer from 1 to 30 (TF Playground's range)")
        if not (isinstance(self.seed, int) and 0 <= self.seed <= MAX_SEED):
            bad("seed", f"an integer from 0 to {MAX_SEED}")
        if not (isinstance(self.features, tuple) and self.features and len(set(self.features)) == len(self.features)
                and all(f in FEATURES for f in self.features)):
            bad("features", f"a non-empty tuple of distinct names from {', '.join(FEATURES)}")
        if not (isinstance(self.hidden, tuple) and len(self.hidden) <= MAX_LAYERS
                and all(isinstance(h, int) and 1 <= h <= MAX_NEURONS for h in self.hidden)):
            bad("hidden", f"a tuple of at most {MAX_LAYERS} layer sizes from 1 to {MAX_NEURONS}")
        if self.activation not in HIDDEN_ACTIVATIONS:
            bad("activation", f"one of {', '.join(HIDDEN_ACTIVATIONS)}")
        if self.loss not in LOSSES[self.problem]:
            bad("loss", f"one of {', '.join(LOSSES[self.problem])} for {self.problem}")
        if self.init not in _init.INITIALIZERS:
            bad("init", f"one of {', '.join(_init.INITIALIZERS)}")
        if not (isinstance(self.scale, (int, float)) and 0.0 < self.scale <= 100.0):
            bad("scale", "a number in (0, 100]")
        if not (isinstance(self.batchnorm, tuple) and len(self.batchnorm) in (0, len(self.hidden))
                and all(b in (0, 1) for b in self.batchnorm)):
            bad("batchnorm", "a tuple of 0 or 1, one per hidden layer (or empty: none)")
        if any(self.batchnorm) and self.batch < 2:
            bad("batch", "at least 2 with batch normalization (a batch variance needs two examples)")
        if not (isinstance(self.bn_momentum, (int, float)) and 0.0 <= self.bn_momentum <= 1.0):
            bad("bn_momentum", "a number in [0, 1]")
        if self.optimizer not in OPTIMIZERS:
            bad("optimizer", f"one of {', '.join(OPTIMIZERS)}")
        if not (isinstance(self.lr, (int, float)) and 1e-5 <= self.lr <= 10.0):
            bad("lr", "a learning rate from 1e-05 to 10")
        for name in ("beta1", "beta2"):
            if not (isinstance(getattr(self, name), (int, float)) and 0.0 <= getattr(self, name) < 1.0):
                bad(name, "a number in [0, 1)")
        if self.optimizer == "nesterov" and self.beta1 == 0:
            bad("beta1", "positive for Nesterov momentum")
        if self.regularization not in REGULARIZATIONS:
            bad("regularization", f"one of {', '.join(REGULARIZATIONS)}")
        if not (isinstance(self.rate, (int, float)) and 0.0 <= self.rate <= 10.0):
            bad("rate", "a regularization rate in [0, 10]")
        spec = self.activation_param
        if self.alpha is not None and not (isinstance(self.alpha, (int, float)) and math.isfinite(self.alpha)):
            bad("alpha", "a finite number or None")
        if spec is not None and self.alpha is not None:
            lo, hi, _ = spec.slider
            if not lo <= self.alpha <= hi:
                bad("alpha", f"in [{lo}, {hi}] for {self.activation}'s {spec.name}")

    @property
    def problem(self) -> str:
        """"classification" or "regression", from the data set."""
        return _data.PLAYGROUND_PROBLEM[self.dataset]

    @property
    def activation_param(self):
        """The activation's parameter (a ParamSpec: alpha, beta or m), or None."""
        params = _act.REGISTRY[self.activation].params
        return params[0] if params else None

    @property
    def activation_kwargs(self) -> dict:
        spec = self.activation_param
        if spec is None:
            return {}
        return {spec.name: spec.default if self.alpha is None else float(self.alpha)}

    @property
    def layer_norms(self) -> tuple:
        """1 or 0 for each hidden layer: batch normalization on or off."""
        return self.batchnorm if len(self.batchnorm) == len(self.hidden) else (0,) * len(self.hidden)

    # -- the state string --------------------------------------------------------------------------
    def state(self) -> str:
        """The fields that differ from the defaults, ``"dataset=spiral;hidden=8,8;lr=0.01"`` ("" for the defaults)."""
        default = Config()
        parts = []
        for f in fields(self):
            v, d = getattr(self, f.name), getattr(default, f.name)
            if f.name == "batchnorm" and not any(v):
                continue
            if v != d:
                parts.append(f"{f.name}={_fmt(v)}")
        return ";".join(parts)

    @classmethod
    def from_state(cls, text: str, base: "Config | None" = None) -> "Config":
        """A Config from a state string (unknown keys and bad values are a ValueError naming them)."""
        if not isinstance(text, str):
            raise TypeError(f"Playground: a state must be a string, got {type(text).__name__}")
        text = text.split(":", 1)[1] if ":" in text else text
        types = {f.name: f for f in fields(cls)}
        changes = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            key, sep, value = part.partition("=")
            if not sep or key not in types:
                raise ValueError(f"Playground: unknown setting {part!r}; settings are {', '.join(types)}")
            default = getattr(cls(), key)
            try:
                if key == "alpha":
                    changes[key] = float(value)
                elif isinstance(default, tuple):
                    items = [] if value in ("", "-") else value.split(",")
                    changes[key] = tuple(items) if key == "features" else tuple(int(x) for x in items)
                elif isinstance(default, bool):
                    changes[key] = value == "1"
                elif isinstance(default, int):
                    changes[key] = int(value)
                elif isinstance(default, float):
                    changes[key] = float(value)
                else:
                    changes[key] = value
            except ValueError:
                raise ValueError(f"Playground: {key}={value!r} is not a valid value") from None
        return replace(base or cls(), **changes)

    def but(self, **changes) -> "Config":
        """A copy with some fields changed (checked)."""
        return replace(self, **changes)


@dataclass
class EpochRecord:
    """What one epoch leaves: losses, and per hidden layer the activations' and gradients' spread."""

    train_loss: float
    test_loss: float
    act_std: list = field(default_factory=list)    # std of each hidden layer's outputs on the training set
    grad_rms: list = field(default_factory=list)   # RMS of each layer's weight gradient, averaged over the epoch
    dead: float = 0.0                              # fraction of hidden units whose gradient is 0 on every point


class Network:
    """A Playground configuration, its data and its model, trained one epoch at a time.

    ``train_epoch()`` makes one pass over the training set in mini-batches (TF Playground's
    animation frame); ``history`` holds an :class:`EpochRecord` per epoch, ``diverged_at`` the
    (epoch, step) where the loss stopped being finite (training stops there), ``outputs(points)``
    the prediction and every hidden unit's output at some points.
    """

    def __init__(self, config: Config | None = None, grid: int = 64):
        self.config = config = config or Config()
        self.grid_size = int(grid)
        gen = _data.PLAYGROUND[config.dataset]
        X, y = gen(noise=config.noise, seed=config.seed)
        # on the host, whatever the backend: a Playground's arrays are small (a few hundred points, 8 units)
        X, y = np.asarray(backend.to_numpy(X), dtype=np.float64), np.asarray(backend.to_numpy(y), dtype=np.float64)
        order = np.random.default_rng([config.seed, 1]).permutation(len(y))
        n_train = max(2, int(round(len(y) * config.train / 100)))
        self.X_train, self.y_train = X[order[:n_train]], y[order[:n_train]]
        self.X_test, self.y_test = X[order[n_train:]], y[order[n_train:]]
        self.F_train = feature_matrix(self.X_train, config.features)
        self.F_test = feature_matrix(self.X_test, config.features)
        self.grid_axis, points = grid_points(self.grid_size)
        self.F_grid = feature_matrix(points, config.features)
        self.T_train, self.T_test = self._targets(self.y_train), self._targets(self.y_test)
        self._build()
        self.reset()

    # -- the model ---------------------------------------------------------------------------------
    def _targets(self, y):
        """Targets as the loss wants them: 0/1 for cross-entropy, -1/+1 (or the regression value) otherwise."""
        t = (y + 1.0) / 2.0 if self.config.loss == "cross_entropy" else y
        return t[:, None]

    def _build(self):
        c = self.config
        rng = np.random.default_rng([c.seed, 2])
        init = _init.INITIALIZERS[c.init]
        kwargs = INIT_KWARGS.get(c.init, {})
        layers, self.dense, self.hidden_acts = [], [], []
        width = len(c.features)
        for size, norm in zip(c.hidden, c.layer_norms):
            layers.append(self._dense(width, size, init, kwargs, rng))
            if norm:
                layers.append(BatchNorm(size, momentum=c.bn_momentum))
            act = Activation(c.activation, **c.activation_kwargs)
            layers.append(act)
            self.hidden_acts.append(act)
            width = size
        layers.append(self._dense(width, 1, init, kwargs, rng))
        self.out_act = None
        if c.loss == "square" and c.problem == "classification":
            self.out_act = Activation("tanh")  # TF Playground's output unit
            layers.append(self.out_act)
        self.model = Sequential(layers)
        self.dense = [layer for layer in layers if isinstance(layer, Dense)]
        self._initial = [np.array(p, copy=True) for p in self.model.params]

    def _dense(self, fan_in, fan_out, init, kwargs, rng):
        layer = Dense(fan_in, fan_out, init="zeros")
        layer.params["W"] = self.config.scale * np.asarray(init(fan_in, fan_out, seed=rng, **kwargs))
        layer.params["b"] = np.full(fan_out, BIAS_INIT)
        return layer

    def _optimizers(self):
        c = self.config
        make = {
            "sgd": lambda wd: _optim.SGD(c.lr, weight_decay=wd),
            "momentum": lambda wd: _optim.SGD(c.lr, momentum=c.beta1, weight_decay=wd),
            "nesterov": lambda wd: _optim.SGD(c.lr, momentum=c.beta1, nesterov=True, weight_decay=wd),
            "adagrad": lambda wd: _optim.Adagrad(c.lr, weight_decay=wd),
            "rmsprop": lambda wd: _optim.RMSProp(c.lr, beta=c.beta2, weight_decay=wd),
            "adam": lambda wd: _optim.Adam(c.lr, beta1=c.beta1, beta2=c.beta2, weight_decay=wd),
        }[c.optimizer]
        # L2 acts on the weights only, as in TF Playground (PyTorch: a parameter group with weight_decay)
        decay = c.rate if c.regularization == "l2" else 0.0
        return make(decay), make(0.0)

    def reset(self) -> None:
        """Back to the initial weights (the same every time for a configuration), epoch 0."""
        for p, p0 in zip(self.model.params, self._initial):
            p[...] = p0
        for layer in self.model.layers:
            if isinstance(layer, BatchNorm):
                layer.running_mean = np.zeros(layer.num_features)
                layer.running_var = np.ones(layer.num_features)
        self.opt_weights, self.opt_rest = self._optimizers()
        self._shuffle = np.random.default_rng([self.config.seed, 3])
        self.epoch = 0
        self.steps = 0
        self._grad_sums = [0.0] * len(self.dense)  # so that step() also works outside train_epoch()
        self.diverged_at = None
        self.history: list[EpochRecord] = []
        self.history.append(self._record(None))

    # -- training ---------------------------------------------------------------------------------
    def _loss(self, t, out):
        """(mean loss, its gradient with respect to the output), for the configured loss."""
        name = self.config.loss
        if name == "square":
            return 0.5 * _losses.mse(t, out), 0.5 * _losses.mse_grad(t, out)
        if name == "cross_entropy":
            return (_losses.binary_cross_entropy_with_logits(t, out),
                    _losses.binary_cross_entropy_with_logits_grad(t, out))
        if name == "hinge":
            return _losses.hinge(t, out), _losses.hinge_grad(t, out)
        return _losses.huber(t, out), _losses.huber_grad(t, out)

    def loss_on(self, F, T) -> float:
        """The mean loss of the current model on features F and targets T (evaluation mode)."""
        with np.errstate(all="ignore"):
            out = self.model.predict(F)
            if not np.all(np.isfinite(out)):
                return math.inf
            return float(self._loss(T, out)[0])

    def step(self, F, T) -> bool:
        """One optimizer step on a mini-batch; False (and ``diverged_at`` set) if the loss stopped being finite."""
        c = self.config
        with np.errstate(all="ignore"):
            out = self.model.forward(F, training=True)
            # the output, or the loss itself (the square of a huge output), no longer finite: stop there
            loss, grad = self._loss(T, out) if np.all(np.isfinite(out)) else (math.inf, None)
            if not math.isfinite(float(loss)):
                self.diverged_at = (self.epoch, self.steps)
                return False
            self.model.backward(grad, input_grad=False)
            weights = [d.params["W"] for d in self.dense]
            rest = [layer.params[k] for layer, k in self.model.parameters() if k != "W"]
            self.opt_weights.step(weights, [d.grads["W"] for d in self.dense])
            self.opt_rest.step(rest, [layer.grads[k] for layer, k in self.model.parameters() if k != "W"])
            if c.regularization == "l1" and c.rate > 0:
                for W in weights:  # the proximal step of rate * |W|: weights that cross zero stop there
                    _reg.soft_threshold(W, c.lr * c.rate)
            for i, d in enumerate(self.dense):
                self._grad_sums[i] += float(np.sqrt(np.mean(d.grads["W"] ** 2)))
            finite = all(np.all(np.isfinite(p)) for p in self.model.params)
        if not finite:  # the index of the step that failed, as for a non-finite output above
            self.diverged_at = (self.epoch, self.steps)
        self.steps += 1
        return finite

    def train_epoch(self) -> bool:
        """One pass over the training set in shuffled mini-batches; False once the run has diverged."""
        if self.diverged_at is not None:
            return False
        n, b = len(self.T_train), self.config.batch
        order = self._shuffle.permutation(n)
        bounds = [(s, min(s + b, n)) for s in range(0, n, b)]
        if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < max(1, 2 * any(self.config.layer_norms)):
            bounds[-2:] = [(bounds[-2][0], n)]  # a last batch too small for batch normalization joins the one before
        self._grad_sums = [0.0] * len(self.dense)
        for start, stop in bounds:
            idx = order[start:stop]
            if not self.step(self.F_train[idx], self.T_train[idx]):
                return False
        self.epoch += 1
        self.history.append(self._record(len(bounds)))
        return True

    def train(self, epochs: int) -> "Network":
        """Train up to ``epochs`` epochs more (fewer if the run diverges); returns self."""
        for _ in range(int(epochs)):
            if not self.train_epoch():
                break
        return self

    def _record(self, steps) -> EpochRecord:
        outs = self.outputs(self.F_train)
        rec = EpochRecord(self.loss_on(self.F_train, self.T_train), self.loss_on(self.F_test, self.T_test))
        units = dead = 0
        for act, x, h in zip(self.hidden_acts, outs["pre"], outs["hidden"]):
            rec.act_std.append(float(np.std(h)))
            with np.errstate(all="ignore"):
                g = act.info.grad(x, **act.kwargs)
            dead += int(np.sum(np.all(g == 0, axis=0)))
            units += x.shape[1]
        rec.dead = dead / units if units else 0.0
        rec.grad_rms = [s / steps for s in self._grad_sums] if steps else [float("nan")] * len(self.dense)
        return rec

    # -- what the views show ----------------------------------------------------------------------
    def outputs(self, F) -> dict:
        """The model at features F in evaluation mode: "out" (the output on the display scale, -1 to 1 for
        classification), "hidden" (each hidden layer's outputs) and "pre" (their inputs to the activation)."""
        with np.errstate(all="ignore"):
            raw = self.model.predict(F)
            hidden = [act._cache[1] for act in self.hidden_acts]
            pre = [act._cache[0] for act in self.hidden_acts]
        return {"out": self.display(raw)[:, 0], "hidden": hidden, "pre": pre}

    def display(self, raw):
        """The model's output on the display scale: tanh's value; 2 sigma(z) - 1 for cross-entropy; a hinge
        score clipped to [-1, 1]; a regression's value."""
        loss = self.config.loss
        if self.config.problem == "classification" and loss == "cross_entropy":
            return np.tanh(raw / 2.0)
        if self.config.problem == "classification" and loss == "hinge":
            return np.clip(raw, -1.0, 1.0)
        return raw

    def grid(self) -> dict:
        """:meth:`outputs` on the heatmap's grid, each reshaped to (grid, grid) images (y from the top)."""
        o = self.outputs(self.F_grid)
        g = self.grid_size
        return {"out": o["out"].reshape(g, g),
                "hidden": [h.T.reshape(-1, g, g) for h in o["hidden"]],
                "features": self.F_grid.T.reshape(-1, g, g)}

    def predictions(self, which="test") -> np.ndarray:
        F = self.F_test if which == "test" else self.F_train
        return self.outputs(F)["out"]

    def accuracy(self, which="test") -> float:
        """Fraction of points on the right side of 0 (classification)."""
        y = self.y_test if which == "test" else self.y_train
        return float(np.mean(np.sign(self.predictions(which)) == y))

    @property
    def weights(self) -> list:
        """Each Dense layer's weight matrix (fan_in, fan_out), input layer first."""
        return [d.params["W"] for d in self.dense]


def _set_live(self, config: Config) -> None:
    """Take a new learning rate, betas or regularization without starting again: the optimizers keep
    their state (their momentum and squared-gradient averages)."""
    c = config
    self.config = config
    for opt, decay in ((self.opt_weights, c.rate if c.regularization == "l2" else 0.0), (self.opt_rest, 0.0)):
        opt.lr = c.lr
        opt.weight_decay = decay
        if c.optimizer in ("momentum", "nesterov"):
            opt.momentum = c.beta1
        elif c.optimizer == "rmsprop":
            opt.beta = c.beta2
        elif c.optimizer == "adam":
            opt.beta1, opt.beta2 = c.beta1, c.beta2


Network.set_live = _set_live


@dataclass(frozen=True)
class Experiment:
    """A guided experiment: a configuration, the epochs the page shows, and what to look at.  Titles are at
    most 26 characters: the page's chooser fits a phone's screen."""

    title: str
    config: Config
    epochs: tuple
    note: str

    def replay(self, grid: int = 64) -> dict:
        """epoch -> the Network after that many epochs (a copy; a run that diverged earlier stays where it stopped)."""
        import copy

        net = Network(self.config, grid=grid)
        out = {}
        for epoch in self.epochs:
            net.train(epoch - net.epoch)
            out[epoch] = copy.deepcopy(net)
        return out


_SPIRAL = Config(dataset="spiral", features=("x1", "x2", "sin_x1", "sin_x2"), hidden=(8, 8, 8, 8), lr=0.03)
_DEEP = Config(dataset="circle", hidden=(3, 3, 3, 3, 3, 3), activation="sigmoid", init="xavier_normal", lr=0.1)

#: the chapter's guided experiments, each a configuration a reader loads with one click
EXPERIMENTS = {
    "default": Experiment("TF's default: the circle", Config(), (0, 5, 10, 25, 50, 100),
                          "Two hidden layers of tanh units find the circle from X₁ and X₂ alone."),
    "spiral_sigmoid": Experiment("Spiral, sigmoid units", _SPIRAL.but(activation="sigmoid"),
                                 (0, 10, 25, 50, 100),
                                 "Watch the first layers' gradient size: sigmoid's slope of at most 1/4 shrinks it "
                                 "layer by layer."),
    "spiral_relu": Experiment("Spiral, ReLU units", _SPIRAL.but(activation="relu", init="he_normal"),
                              (0, 10, 25, 50, 100),
                              "The same network with ReLU and He initialization: gradients keep their size."),
    "zero_init": Experiment("Zero initialization", Config(init="zeros"), (0, 10, 50, 100),
                            "Every unit of a layer starts equal, gets the same update and stays equal."),
    "lr_too_high": Experiment("Learning rate too high", Config(dataset="plane", activation="relu", lr=3.0),
                              (0, 2, 4, 8, 9),
                              "At learning rate 3 the steps overshoot and grow until the loss is not finite."),
    "sgd_small_lr": Experiment("SGD, learning rate 0.003", Config(lr=0.003), (0, 10, 50, 100),
                               "Plain SGD at a small learning rate barely moves in 100 epochs."),
    "adam_small_lr": Experiment("Adam, learning rate 0.003", Config(lr=0.003, optimizer="adam"),
                                (0, 10, 50, 100),
                                "Adam at the same rate scales each step by the gradient's running size."),
    "deep_plain": Experiment("Deep narrow net, plain", _DEEP, (0, 10, 50, 100),
                             "Six sigmoid layers of three units: the signal and its gradient fade."),
    "deep_batchnorm": Experiment("Deep narrow, batch norm", _DEEP.but(batchnorm=(1,) * 6),
                                 (0, 10, 50, 100),
                                 "Batch normalization re-centres every layer, and the same network learns."),
    "l1_features": Experiment("L1 on all seven features",
                              Config(features=tuple(FEATURES), hidden=(4,), regularization="l1", rate=0.03),
                              (0, 10, 50, 100),
                              "L1's proximal step sets small weights to exactly zero: unused features drop out."),
}
__all__ += ["EXPERIMENTS", "Experiment", "EpochRecord"]
