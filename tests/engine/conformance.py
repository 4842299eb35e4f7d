"""Shared helpers of the conformance tests: run the real PyTorch / Keras layer and the engine, tally the verdicts.

Every runner returns ('ok', outputs, total params, trainable params, weights) or ('error', message). `outputs`
takes one of three forms, which the framework runner and the engine runner of a test must share:
SINGLE (the one output shape), TUPLE (a tuple of every output shape) or LIST (a list of them).
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

import engine
from engine import ShapeError

FRAMEWORK_ERRORS = (ValueError, RuntimeError, TypeError, IndexError)
SINGLE, TUPLE, LIST = "single", "tuple", "list"

# How a Tally names the configuration in its failure messages.
PLAIN = "{layer}({kwargs})"
BOTH = "{layer}(engine {params}; framework {kwargs})"
SPLAT = "{layer}(**{kwargs})"


def framework_error(err: Exception, limit: int | None = None) -> tuple:
    message = f"{type(err).__name__}: {err}"
    return ("error", message if limit is None else message[:limit])


def concrete(shape) -> tuple:
    """The shape with every None run as 2."""
    return tuple(2 if v is None else v for v in shape)


def _tensors(y) -> list:
    """The tensors of a layer's result, nested tuples and lists flattened in order."""
    if isinstance(y, (list, tuple)):
        return [t for item in y for t in _tensors(item)]
    return [y]


def _as_form(shapes: list, form: str):
    if form == SINGLE:
        return shapes[0]
    return tuple(shapes) if form == TUPLE else list(shapes)


def torch_counts(module) -> tuple:
    """(total params, trainable params, weight shapes by name) of a torch module."""
    params = dict(module.named_parameters())
    total = sum(p.numel() for p in params.values())
    trainable = sum(p.numel() for p in params.values() if p.requires_grad)
    return total, trainable, {name: tuple(p.shape) for name, p in params.items()}


def weight_name(w) -> str:
    return w.name


def last_path_part(w) -> str:
    return w.path.rsplit("/", 1)[-1]


def keras_weights(obj, name=weight_name, prefix: str = "") -> dict:
    return {prefix + name(w): tuple(w.shape) for w in obj.weights}


def keras_counts(obj, weights=keras_weights) -> tuple:
    """(count_params(), trainable params, weight shapes by name) of a built Keras layer."""
    trainable = sum(math.prod(w.shape) for w in obj.trainable_weights)
    return obj.count_params(), trainable, weights(obj)


def run_torch(
    torch,
    layer: str,
    kwargs: dict,
    shape: tuple,
    *,
    errors: tuple = FRAMEWORK_ERRORS,
    form: str = SINGLE,
    eval_mode: bool = False,
    dtype=None,
    limit: int | None = None,
):
    """Build torch.nn.<layer>(**kwargs) and run zeros of `shape` (in eval mode if asked) without gradients."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = getattr(torch.nn, layer)(**kwargs)
            if eval_mode:
                module.eval()
            with torch.no_grad():
                y = module(torch.zeros(shape, dtype=dtype))
        except errors as err:
            return framework_error(err, limit)
    outputs = _as_form([tuple(t.shape) for t in _tensors(y)], form)
    return ("ok", outputs, *torch_counts(module))


def run_keras(
    keras,
    layer,
    kwargs: dict,
    shape: tuple,
    *,
    symbolic: bool | None = None,
    errors: tuple = FRAMEWORK_ERRORS,
    form: str = SINGLE,
    weights=keras_weights,
    limit: int | None = None,
):
    """Build keras.layers.<layer>(**kwargs) (or `layer(keras)` when it is a callable) and call it.

    Symbolic (by default when a non-batch dim is None): traced through keras.Input. Otherwise a real call on
    zeros, a None batch run as 2 and put back as None.
    """
    if symbolic is None:
        symbolic = any(v is None for v in shape[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = getattr(keras.layers, layer)(**kwargs) if isinstance(layer, str) else layer(keras)
            if symbolic:
                y = obj(keras.Input(batch_shape=shape))
            else:
                y = obj(np.zeros(concrete(shape), dtype="float32"))
        except errors as err:
            return framework_error(err, limit)
    shapes = [tuple(t.shape) for t in _tensors(y)]
    if shape[0] is None:
        shapes = [(None, *s[1:]) for s in shapes]
    return ("ok", _as_form(shapes, form), *keras_counts(obj, weights))


def run_engine(framework: str, layer: str, params: dict, shape: tuple, form: str = SINGLE):
    try:
        r = engine.evaluate(framework, layer, params, list(shape))
    except ShapeError as err:
        return ("error", f"{err.code} [{err.field}]: {err.message}")
    if form == SINGLE:
        outputs = tuple(r["output_shape"])
    else:
        outputs = _as_form([tuple(s) for s in r["outputs"].values()], form)
    weights = {name: tuple(s) for name, s in r["weights"].items()}
    return ("ok", outputs, r["param_count"], r["trainable_params"], weights)


# Every configuration compared against a framework in this run (reported at the end of the session).
CHECKED = {"accepted": 0, "rejected": 0}


# The activation keyword as layers take it: common names, the two that change or break the shape, and
# names Keras refuses. Keras's symbolic shapes miss what 'glu' and 'threshold' do; only a real call shows it.
LAYER_ACTIVATIONS = ("relu", "tanh", "softmax", "linear", None, "glu", "glu", "threshold", "Relu", "swish2")
REAL_CALL_ONLY = frozenset({"glu", "threshold"})


def draw_activation(rng, kwargs: dict, shape: tuple, probability: float, key: str = "activation") -> tuple:
    """Now and then set kwargs[key]; with a name only a real call judges, unknown non-batch dims become known."""
    if rng.random() < probability:
        kwargs[key] = rng.choice(LAYER_ACTIVATIONS)
    if kwargs.get(key) in REAL_CALL_ONLY:
        shape = (shape[0], *(rng.randint(1, 5) if v is None else v for v in shape[1:]))
    return shape


def accepted_floor(configs: int) -> int:
    """The fewest accepted configurations a conformance test of `configs` draws may see."""
    return configs // 5


class Tally:
    """Counts configurations checked; a conformance test that silently checks nothing must fail.

    `form` is the outputs form of the framework runner; `describe` names the configuration in messages;
    `check_codes` also requires a rejection to start with an error code; `report` prints the counts.
    """

    def __init__(self, form: str = SINGLE, describe: str = PLAIN, check_codes: bool = False, report: bool = False):
        self.form = form
        self.describe = describe
        self.check_codes = check_codes
        self.report = report
        self.accepted = 0
        self.rejected = 0

    @classmethod
    def strict(cls) -> Tally:
        """The reshape / dense / normalization flavour: error codes checked and the counts printed."""
        return cls(describe=SPLAT, check_codes=True, report=True)

    def check(self, framework: str, layer: str, params: dict, kwargs: dict, shape: tuple, real: tuple):
        """Run the engine on `params`; `kwargs` is what the framework got (named in the message)."""
        mine = run_engine(framework, layer, params, shape, self.form)
        call = self.describe.format(layer=layer, params=params, kwargs=kwargs)
        context = f"{framework} {call} on {shape}: framework {real!r}, engine {mine!r}"
        assert mine[0] == real[0], "engine and framework disagree on accepting: " + context
        if real[0] == "ok":
            assert mine[1:] == real[1:], context
            self.accepted += 1
            CHECKED["accepted"] += 1
        else:
            if self.check_codes:
                assert mine[1].split(" ")[0].isidentifier(), context
            self.rejected += 1
            CHECKED["rejected"] += 1
        return mine

    def assert_floor(self, configs: int, min_rejected: int = 1):
        """Fail unless enough configurations were checked and both outcomes were exercised."""
        total = self.accepted + self.rejected
        if os.environ.get("SHAPEKB_FLOOR_LOG"):
            with open(os.environ["SHAPEKB_FLOOR_LOG"], "a") as log:
                log.write(
                    f"{os.environ.get('PYTEST_CURRENT_TEST', '?')}\t{self.accepted}\t{self.rejected}\t{min_rejected}\n"
                )
        if self.report:
            print(f"checked {total} configurations: {self.accepted} accepted, {self.rejected} rejected")
        assert total >= configs, f"only {total} configurations checked"
        # Floors sit far below what the draws yield: measured over 720 configurations per layer
        # (SHAPEKB_FLOOR_LOG), the lowest acceptance rate is 0.40 (48 of 120 expected), so a floor of a
        # fifth fails by chance about once in a million runs; a third (40) failed about one run in ten.
        assert self.accepted >= accepted_floor(configs), f"only {self.accepted} accepted configurations"
        assert self.rejected >= min_rejected, f"only {self.rejected} rejected configurations"
