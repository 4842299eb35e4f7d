"""engine.evaluate against Keras's own shape function, SymPy subs of the same formulas, and a
PyTorch meta-device forward. Run through bench/run.py (or alone: python bench/bench_evaluate.py)."""

from __future__ import annotations

import sys
import warnings

try:
    from bench._harness import Row, compare, rng_for, seed_from_env, table
except ImportError:  # run as a script: python bench/bench_evaluate.py
    from _harness import Row, compare, rng_for, seed_from_env, table

import engine  # noqa: E402  (after _harness put the repository on sys.path)
from engine import api  # noqa: E402

# ---- inputs --------------------------------------------------------------------------------------


def keras_conv2d_config(rng):
    """One random Keras Conv2D configuration that Keras accepts (strides > 1 never with dilation > 1).

    Returns (engine params, engine input_shape, arguments of Keras's compute_conv_output_shape)."""
    kh, kw = rng.randint(1, 7), rng.randint(1, 7)
    if rng.random() < 0.5:
        sh, sw, dh, dw = rng.randint(1, 3), rng.randint(1, 3), 1, 1
    else:
        sh, sw, dh, dw = 1, 1, rng.randint(1, 3), rng.randint(1, 3)
    padding = rng.choice(("valid", "same"))
    n, c, filters = rng.randint(1, 64), rng.randint(1, 512), rng.randint(1, 512)
    h = rng.randint(dh * (kh - 1) + 1, 1024)
    w = rng.randint(dw * (kw - 1) + 1, 1024)
    params = {
        "filters": filters,
        "kernel_size": [kh, kw],
        "strides": [sh, sw],
        "padding": padding,
        "dilation_rate": [dh, dw],
    }
    keras_args = ((n, h, w, c), filters, (kh, kw), (sh, sw), padding, "channels_last", (dh, dw))
    return params, [n, h, w, c], keras_args


def torch_conv2d_module_config(rng):
    """Constructor arguments of one random nn.Conv2d (groups 1) and the smallest input it accepts."""
    kh, kw = rng.randint(1, 5), rng.randint(1, 5)
    sh, sw = rng.randint(1, 3), rng.randint(1, 3)
    ph, pw = rng.randint(0, 2), rng.randint(0, 2)
    dh, dw = rng.randint(1, 2), rng.randint(1, 2)
    cin, cout = rng.randint(1, 128), rng.randint(1, 128)
    params = {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": [kh, kw],
        "stride": [sh, sw],
        "padding": [ph, pw],
        "dilation": [dh, dw],
    }
    min_hw = (max(1, dh * (kh - 1) + 1 - 2 * ph), max(1, dw * (kw - 1) + 1 - 2 * pw))
    return params, min_hw


# ---- benchmarks ----------------------------------------------------------------------------------


def bench_keras(seed: int, rounds: int, calls: int) -> list[Row]:
    """evaluate('keras', 'Conv2D') against keras.src.ops.operation_utils.compute_conv_output_shape."""
    from keras.src.ops.operation_utils import compute_conv_output_shape

    rng = rng_for(seed, "keras_conv2d")
    engine_rounds, keras_rounds, core_rounds = [], [], []
    spec = engine.get_layer("keras", "Conv2D")
    for _ in range(rounds):
        configs = [keras_conv2d_config(rng) for _ in range(calls)]
        engine_rounds.append([("keras", "Conv2D", params, shape) for params, shape, _ in configs])
        core_rounds.append([(spec, params, shape) for params, shape, _ in configs])
        keras_rounds.append([args for _, _, args in configs])
    # Same answers (checked on every configuration, untimed).
    for e_round, k_round in zip(engine_rounds, keras_rounds, strict=True):
        for e_args, k_args in zip(e_round, k_round, strict=True):
            ours = tuple(engine.evaluate(*e_args)["output_shape"])
            theirs = compute_conv_output_shape(*k_args)
            assert ours == theirs, (e_args, ours, theirs)

    def engine_core(spec, params, shape):  # parse + resolve + rule: no lookup, no answer dict
        return api._apply(spec, params, api.parse_input_shape(shape))

    t = compare(
        {
            "engine.evaluate": (engine.evaluate, engine_rounds),
            "engine core": (engine_core, core_rounds),
            "keras": (compute_conv_output_shape, keras_rounds),
        },
        rounds=rounds,
    )
    keras_t = t["keras"]
    keras_t.name = "Keras compute_conv_output_shape (shape only)"
    t["engine core"].name = "engine core"
    return [
        Row(
            "engine.evaluate('keras', 'Conv2D'): shape + params + weights + 3 formula entries",
            t["engine.evaluate"],
            keras_t,
            target=1.0,
        ),
        Row(
            "engine core, internal (parse + resolve + rule; no answer dict), for information",
            t["engine core"],
            keras_t,
        ),
    ]


def bench_subs(seed: int, rounds: int, calls: int) -> list[Row]:
    """evaluate against SymPy's subs of the very formulas (and numbers) the evaluate call applies."""
    rng = rng_for(seed, "subs")
    spec = engine.get_layer("keras", "Conv2D")
    engine_rounds, subs_rounds, formula_rounds, one_subs_rounds = [], [], [], []
    for _ in range(rounds):  # fresh configurations every round: SymPy's own cache sees no repeats
        e_round, s_round, f_round, o_round = [], [], [], []
        for _ in range(calls):
            params, shape, _ = keras_conv2d_config(rng)
            ctx = api._apply(spec, params, api.parse_input_shape(shape))[0]  # untimed: which formulas, which numbers
            items = [(formula.expr, {a: values[a.name] for a in formula.args}) for formula, _, values in ctx.used]
            assert [int(expr.subs(env)) for expr, env in items] == [f.evaluate(v) for f, _, v in ctx.used]
            e_round.append(("keras", "Conv2D", params, shape))
            s_round.append((items,))
            # Per formula: the first formula the config applied (axis H: 'valid' or 'same').
            formula, _, values = ctx.used[0]
            f_round.append((formula, values))
            o_round.append(items[0])
        engine_rounds.append(e_round)
        subs_rounds.append(s_round)
        formula_rounds.append(f_round)
        one_subs_rounds.append(o_round)

    def subs_all(items):
        return [int(expr.subs(env)) for expr, env in items]

    def subs_one(expr, env):
        return int(expr.subs(env))

    def compiled_one(formula, values):
        return formula.evaluate(values)

    t = compare({"engine.evaluate": (engine.evaluate, engine_rounds), "subs": (subs_all, subs_rounds)}, rounds=rounds)
    t["subs"].name = "SymPy subs of the same 3 formulas"
    t1 = compare(
        {"Formula.evaluate": (compiled_one, formula_rounds), "subs one": (subs_one, one_subs_rounds)}, rounds=rounds
    )
    t1["subs one"].name = "SymPy subs of that formula"
    return [
        Row("engine.evaluate('keras', 'Conv2D'), whole answer", t["engine.evaluate"], t["subs"], target=100.0),
        Row("one compiled formula (Formula.evaluate), for information", t1["Formula.evaluate"], t1["subs one"]),
    ]


def bench_meta(seed: int, rounds: int, calls: int, modules: int = 256) -> list[Row]:
    """evaluate('pytorch', 'Conv2d') against the forward of the same nn.Conv2d on the meta device."""
    import torch

    torch.set_num_threads(1)
    rng = rng_for(seed, "torch_conv2d")
    pool = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(modules):
            params, min_hw = torch_conv2d_module_config(rng)
            module = torch.nn.Conv2d(**params, device="meta")
            pool.append((params, min_hw, module))
    engine_rounds, torch_rounds = [], []
    for _ in range(rounds):
        e_round, t_round = [], []
        for _ in range(calls):
            params, (min_h, min_w), module = pool[rng.randrange(len(pool))]
            shape = [rng.randint(1, 64), params["in_channels"], rng.randint(min_h, 1024), rng.randint(min_w, 1024)]
            e_round.append(("pytorch", "Conv2d", params, shape))
            t_round.append((module, torch.empty(shape, device="meta")))
        engine_rounds.append(e_round)
        torch_rounds.append(t_round)

    def meta_forward(module, x):
        return module(x).shape

    with torch.no_grad():
        for e_args, (module, x) in zip(engine_rounds[0], torch_rounds[0], strict=True):
            answer = engine.evaluate(*e_args)
            assert tuple(answer["output_shape"]) == tuple(module(x).shape), e_args
            assert answer["param_count"] == sum(p.numel() for p in module.parameters()), e_args
        t = compare(
            {"engine.evaluate": (engine.evaluate, engine_rounds), "meta": (meta_forward, torch_rounds)},
            rounds=rounds,
        )
    t["meta"].name = "nn.Conv2d forward on the meta device (no_grad, input tensor prebuilt)"
    return [Row("engine.evaluate('pytorch', 'Conv2d'), whole answer", t["engine.evaluate"], t["meta"], target=10.0)]


def run(seed: int, quick: bool = False) -> list[Row]:
    # Many short rounds: the best one is the least disturbed by other work on the machine.
    rows = bench_keras(seed, 7 if quick else 25, 200 if quick else 500)
    rows += bench_subs(seed, 5 if quick else 9, 8 if quick else 20)  # SymPy takes ms per call
    rows += bench_meta(seed, 7 if quick else 25, 150 if quick else 400)
    return rows


if __name__ == "__main__":
    seed = seed_from_env()
    print(f"seed: SHAPEKB_BENCH_SEED={seed}")
    print(table(run(seed, quick="--quick" in sys.argv)))
