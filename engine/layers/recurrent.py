"""Recurrent layers: Keras SimpleRNN / LSTM / GRU and Bidirectional, PyTorch RNN / LSTM / GRU.

A cell has G gates (SimpleRNN/RNN 1, GRU 3, LSTM 4); each gate owns an input kernel, a recurrent kernel and
bias. Keras keeps one bias vector per gate (two for GRU with reset_after=True); PyTorch always keeps two
(b_ih and b_hh, for cuDNN compatibility), so the same LSTM has 4h more parameters in PyTorch.
"""

from __future__ import annotations

import sympy as sp

from engine import bounds
from engine.compile import Formula
from engine.errors import ShapeError
from engine.layers._activations import GLU_HALF, keras_activation_name, reject_threshold
from engine.layers._common import check_equal, require_finite, require_known, shape_text
from engine.layers._nested import NestedLayer, nested_layer, run_nested
from engine.registry import register
from engine.spec import (
    LayerSpec,
    Outcome,
    Param,
    anything,
    boolean,
    choice,
    integer,
    number,
    optional,
)
from engine.symbols import C_out, D, G, P, P_b, P_f, h_out, i, n_layers, u, u_b, u_f

# ---- formulas -----------------------------------------------------------------------------------

KERAS_SIMPLE_RNN_PARAMS = Formula(
    "keras_simple_rnn_param_count",
    P,
    u * (i + u) + u,
    "Keras SimpleRNN: kernel i×u, recurrent kernel u×u, one bias of u.",
)
KERAS_LSTM_PARAMS = Formula(
    "keras_lstm_param_count",
    P,
    sp.Mul(4, u * (i + u) + u, evaluate=False),  # kept as 4(...) when rendered
    "Keras LSTM: 4 gates, each with a kernel i×u, a recurrent kernel u×u and ONE bias of u "
    "(PyTorch keeps two biases: 4(h(i+h)+2h)).",
)
KERAS_GRU_PARAMS = Formula(
    "keras_gru_param_count",
    P,
    sp.Mul(3, u * (i + u) + 2 * u, evaluate=False),
    "Keras GRU with reset_after=True (the Keras 2.3+ default): 3 gates, bias of shape (2, 3u) "
    "(an input and a recurrent bias, like PyTorch).",
)
KERAS_GRU_V1_PARAMS = Formula(
    "keras_gru_v1_param_count",
    P,
    sp.Mul(3, u * (i + u) + u, evaluate=False),
    "Keras GRU with reset_after=False (Keras 1 and early Keras 2): 3 gates, one bias of 3u.",
)
KERAS_RNN_PARAMS_NO_BIAS = Formula(
    "keras_rnn_param_count_no_bias",
    P,
    G * u * (i + u),
    "Keras recurrent layer with use_bias=False: G gates (1 SimpleRNN, 3 GRU, 4 LSTM), kernel i×Gu and recurrent kernel u×Gu.",
)
BIDIRECTIONAL_PARAMS = Formula(
    "bidirectional_param_count",
    P,
    P_f + P_b,
    "Bidirectional: the forward layer's parameters plus the backward copy's (twice the layer's when it is a copy).",
)
BIDIRECTIONAL_CONCAT = Formula(
    "bidirectional_concat_width",
    C_out,
    u_f + u_b,
    "merge_mode='concat' joins the forward and backward outputs on the last axis (2u for a copy).",
)
# PyTorch, per layer and direction: G·h·in + G·h·h_out + 2·G·h (+ h_out·h for the projection);
# the first layer reads the input (in = i), later ones the previous layer's output (in = D·h_out).
TORCH_RNN_PARAMS = Formula(
    "torch_rnn_param_count",
    P,
    D * G * u * (i + u + 2) + (n_layers - 1) * D * G * u * (D * u + u + 2),
    "PyTorch RNN/GRU/LSTM: per layer and direction G·h·in + G·h·h + 2·G·h (two bias vectors b_ih and b_hh); "
    "layer 1 reads i features, layers 2..n read D·h. G = 1 RNN, 3 GRU, 4 LSTM; D = 2 if bidirectional.",
)
TORCH_RNN_PARAMS_NO_BIAS = Formula(
    "torch_rnn_param_count_no_bias",
    P,
    D * G * u * (i + u) + (n_layers - 1) * D * G * u * (D * u + u),
    "PyTorch RNN/GRU/LSTM with bias=False: per layer and direction G·h·in + G·h·h.",
)
TORCH_LSTM_PROJ_PARAMS = Formula(
    "torch_lstm_proj_param_count",
    P,
    D * (G * u * (i + h_out + 2) + h_out * u) + (n_layers - 1) * D * (G * u * (D * h_out + h_out + 2) + h_out * u),
    "PyTorch LSTM with proj_size = h_out > 0: the recurrent kernel reads h_out, a projection h_out×h is added "
    "per layer and direction, and layers 2..n read D·h_out.",
)
TORCH_LSTM_PROJ_PARAMS_NO_BIAS = Formula(
    "torch_lstm_proj_param_count_no_bias",
    P,
    D * (G * u * (i + h_out) + h_out * u) + (n_layers - 1) * D * (G * u * (D * h_out + h_out) + h_out * u),
    "PyTorch LSTM with proj_size and bias=False.",
)
TORCH_RNN_FEATURES = Formula(
    "torch_rnn_output_features",
    C_out,
    D * h_out,
    "Last axis of a PyTorch recurrent output: D·H_out (D = 2 if bidirectional; H_out = proj_size if set, else hidden_size).",
)


def restrict_inert(spec: LayerSpec, names) -> None:
    """Narrow the keywords a declaration accepts and ignores to `names` (the framework's list is wider).

    LayerSpec derives its inert set and resolve()'s fast-path key table from the framework-wide list when it
    is built; both are recomputed here so that the narrower set holds on every path.
    """
    spec.inert = frozenset(names)
    prepare = getattr(spec, "_prepare_fast_resolve", None)
    if prepare is not None:
        prepare()


# ---- parsers ------------------------------------------------------------------------------------


def rate():
    """A finite real number (a Keras dropout rate): Keras clamps it to [0, 1] instead of rejecting it."""

    def parse(v, rank, fld):
        return require_finite(v, fld.split(".")[-1], fld)

    parse.kind = "float"
    return parse


def use_cudnn():
    def parse(v, rank, fld):
        if isinstance(v, (list, dict, set)) or v not in ("auto", True, False):
            raise ShapeError("invalid_param", f"use_cudnn must be one of 'auto', true, false, received {v!r}", fld)
        return v

    parse.kind = "'auto' | bool"
    return parse


def _only_recurrent(spec: LayerSpec, fld: str) -> None:
    if not spec.options.get("recurrent"):
        raise ShapeError(
            "not_recurrent", f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), received {spec.name}", fld
        )


def nested_recurrent():
    """{"layer": "LSTM", "params": {...}}: a Keras recurrent layer, parsed by its own declaration."""
    return nested_layer(
        "{'layer': 'LSTM', 'params': {'units': 64}}",
        "{layer: 'SimpleRNN' | 'LSTM' | 'GRU', params: {...}}",
        _only_recurrent,
    )


def optional_merge_mode():
    modes = choice("concat", "sum", "mul", "ave", case_insensitive=False)

    def parse(v, rank, fld):
        return None if v is None else modes(v, rank, fld)

    parse.kind = "'concat' | 'sum' | 'mul' | 'ave' | None"
    return parse


# ---- Keras --------------------------------------------------------------------------------------


def keras_rnn_rule(ctx) -> Outcome:
    """(N, T, i) -> (N, u), or (N, T, u) with return_sequences; return_state adds h (and c for LSTM)."""
    prm, cell = ctx.p, ctx.spec.options["cell"]
    gates = ctx.spec.options["gates"]
    units = prm["units"]
    batch, steps, features = ctx.x
    features = require_known(features, "feature dimension (last axis)", "input_shape[2]")
    if prm["stateful"] and batch is None:
        raise ShapeError(
            "stateful_needs_batch",
            f"stateful=True needs a static batch size; received the input {shape_text(ctx.x)} with batch None",
            "input_shape[0]",
        )
    bias = prm["use_bias"]
    if not bias:
        count = ctx.apply(KERAS_RNN_PARAMS_NO_BIAS, "parameters", G=gates, u=units, i=features)
    elif cell == "lstm":
        count = ctx.apply(KERAS_LSTM_PARAMS, "parameters", u=units, i=features)
    elif cell == "gru":
        formula = KERAS_GRU_PARAMS if prm["reset_after"] else KERAS_GRU_V1_PARAMS
        count = ctx.apply(formula, "parameters", u=units, i=features)
    else:
        count = ctx.apply(KERAS_SIMPLE_RNN_PARAMS, "parameters", u=units, i=features)
    width = gates * units
    weights = {"kernel": (features, width), "recurrent_kernel": (units, width)}
    if bias:
        two_biases = cell == "gru" and prm["reset_after"]
        weights["bias"] = (2, width) if two_biases else (width,)
    width, cell_width = keras_rnn_output_widths(ctx, units, steps)
    outputs = {"output": (batch, steps, width) if prm["return_sequences"] else (batch, width)}
    if prm["return_state"]:
        for state in ctx.spec.options["states"]:
            outputs[state] = (batch, cell_width if state == "c" else width)
    return Outcome(outputs, weights, param_count=count)


def keras_rnn_output_widths(ctx, units: int, steps) -> tuple:
    """(width of the output and h, width of LSTM's c): units, unless a 'glu' activation halves vectors.

    GLU returns u/2 values where the cell expects u. In LSTM and GRU a halved vector meets u-wide ones in
    element-wise products, which only broadcast when u/2 is 1 (units=2). LSTM with both activations 'glu'
    then gives h = o * glu(c) of width 1, which cannot multiply the (2, 8) recurrent kernel at the next
    step. SimpleRNN's halved state cannot multiply its (u, u) recurrent kernel either. Such a cell runs for
    a single time step only, and never stateful (the (batch, u) state variable cannot hold u/2).
    """
    prm, cell = ctx.p, ctx.spec.options["cell"]
    names = ("activation",) if cell == "simple" else ("activation", "recurrent_activation")
    for name in names:
        reject_threshold(ctx, name)
    glu = [name for name in names if prm[name] == "glu"]
    if not glu:
        return units, units
    fld = f"params.{glu[0]}"
    if units % 2:
        raise ShapeError(
            "odd_length",
            f"{glu[0]}='glu' halves vectors of size units, which must be even: received units={units}",
            fld,
        )
    if cell != "simple" and units != 2:
        raise ShapeError(
            "invalid_param",
            f"{glu[0]}='glu' halves the {units}-wide {ctx.spec.name} vectors to {units // 2}, which cannot combine "
            f"with the {units}-wide state (only units=2 broadcasts)",
            fld,
        )
    if cell == "gru" or (cell == "lstm" and len(glu) == 1):
        return units, units
    what = "SimpleRNN state" if cell == "simple" else "LSTM output h = o * glu(c) (both activations 'glu')"
    if steps != 1:
        raise ShapeError(
            "invalid_param",
            f"glu halves the {what} to {units // 2}, which cannot multiply the recurrent kernel at the next step: "
            f"it only runs on a single time step, received T={steps}",
            fld,
        )
    if prm["stateful"]:
        raise ShapeError(
            "invalid_param",
            f"glu halves the {what} to {units // 2}, which stateful=True cannot store in its (batch, {units}) "
            "state variable",
            fld,
        )
    return ctx.apply(GLU_HALF, "output width", L_in=units), units


def _run_nested(ctx, nested: NestedLayer, where: str) -> Outcome:
    return run_nested(ctx, nested, ctx.x, f"{where} layer", f"{where} {nested.spec.name}")


def keras_bidirectional_rule(ctx) -> Outcome:
    """Runs the layer forwards and a copy backwards, then merges the two outputs."""
    prm = ctx.p
    forward: NestedLayer = prm["layer"]
    backward: NestedLayer | None = prm["backward_layer"]
    if backward is None:
        if forward.params["go_backwards"]:
            raise ShapeError(
                "same_direction",
                "Forward layer and backward layer should have different go_backwards value: the backward copy "
                "of a layer with go_backwards=True also has go_backwards=True",
                "params.layer.params.go_backwards",
            )
        backward = NestedLayer(forward.spec, {**forward.params, "go_backwards": True})
    else:
        if forward.params["go_backwards"] == backward.params["go_backwards"]:
            raise ShapeError(
                "same_direction",
                f"Forward layer and backward layer should have different go_backwards value, received "
                f"{forward.params['go_backwards']} for both",
                "params.backward_layer.params.go_backwards",
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if forward.params[attr] != backward.params[attr]:
                raise ShapeError(
                    "direction_mismatch",
                    f"Forward layer and backward layer are expected to have the same value for {attr}, received "
                    f"{forward.params[attr]} for the forward layer and {backward.params[attr]} for the backward layer",
                    f"params.backward_layer.params.{attr}",
                )
    fwd = _run_nested(ctx, forward, "forward")
    bwd = _run_nested(ctx, backward, "backward")
    if forward.params["stateful"] and forward.params["return_state"]:
        raise ShapeError(
            "framework_bug",
            "Keras 3 (checked with 3.15) cannot run a Bidirectional layer with stateful=True and return_state=True: "
            "Bidirectional.compute_mask raises TypeError (unsupported operand type(s) for *: 'generator' and 'int'). "
            "Drop one of the two",
            "params.layer.params.return_state",
        )
    fwd_names, bwd_names = list(fwd.outputs), list(bwd.outputs)
    fwd_out, bwd_out = fwd.outputs[fwd_names[0]], bwd.outputs[bwd_names[0]]
    mode = prm["merge_mode"]
    outputs: dict = {}
    if mode is None:
        outputs["forward_output"] = fwd_out
        outputs["backward_output"] = bwd_out
    elif mode == "concat":
        width = ctx.apply(BIDIRECTIONAL_CONCAT, "last axis", u_f=fwd_out[-1], u_b=bwd_out[-1])
        outputs["output"] = (*fwd_out[:-1], width)
    else:
        # Element-wise merges broadcast: equal widths, or a width of 1 against any.
        f_width, b_width = fwd_out[-1], bwd_out[-1]
        if f_width != b_width and 1 not in (f_width, b_width):
            raise ShapeError(
                "merge_mismatch",
                f"merge_mode={mode!r} combines outputs element-wise, but the forward layer gives {f_width} "
                f"features and the backward layer {b_width} (they must be equal, or one of them 1)",
                "params.backward_layer.params.units",
            )
        outputs["output"] = (*fwd_out[:-1], b_width if f_width == 1 else f_width)
    for name in fwd_names[1:]:
        outputs[f"forward_{name}"] = fwd.outputs[name]
    for name in bwd_names[1:]:
        outputs[f"backward_{name}"] = bwd.outputs[name]
    weights = {f"forward/{n}": s for n, s in fwd.weights.items()}
    weights.update({f"backward/{n}": s for n, s in bwd.weights.items()})
    count = ctx.apply(BIDIRECTIONAL_PARAMS, "parameters", P_f=fwd.param_count, P_b=bwd.param_count)
    return Outcome(outputs, weights, param_count=count)


def keras_rnn_params(cell: str) -> tuple:
    head = [Param("units", integer(), doc="Size of the output's last axis and of each state.")]
    head.append(
        Param(
            "activation",
            keras_activation_name(),
            "tanh",
            "Cell and output activation; shape kept (for 'glu', which halves vectors, see the note).",
        )
    )
    if cell != "simple":
        head.append(
            Param(
                "recurrent_activation",
                keras_activation_name(),
                "sigmoid",
                "Gate activation; shape kept (for 'glu', see the note).",
            )
        )
    head.append(Param("use_bias", boolean(), True, "Add the bias vector(s)."))
    tail = [
        Param("dropout", rate(), 0.0, "Dropout on the inputs; Keras clamps it to [0, 1]. No shape change."),
        Param("recurrent_dropout", rate(), 0.0, "Dropout on the recurrent state; clamped to [0, 1]. No shape change."),
        Param(
            "return_sequences", boolean(), False, "Return the output at every time step: (N, T, u) instead of (N, u)."
        ),
        Param(
            "return_state",
            boolean(),
            False,
            "Also return the last state(s): h" + (" and c" if cell == "lstm" else "") + ", each (N, u).",
        ),
        Param("go_backwards", boolean(), False, "Read the sequence backwards; no shape change."),
        Param("stateful", boolean(), False, "Carry states across batches; needs a known batch size."),
        Param("unroll", boolean(), False, "Unroll the loop; no shape change."),
    ]
    if cell == "gru":
        tail.append(
            Param(
                "reset_after",
                boolean(),
                True,
                "Apply the reset gate after the matrix product: two bias vectors (bias shape (2, 3u)).",
            )
        )
    if cell != "simple":
        tail.append(
            Param("use_cudnn", use_cudnn(), "auto", "'auto', True or False: which kernel runs; no shape change.")
        )
    tail += [
        Param(
            "input_dim", anything(), None, "Keras 1: the feature size; accepted and ignored (the input shape gives it)."
        ),
        Param(
            "input_length",
            anything(),
            None,
            "Keras 1: the number of time steps; accepted and ignored (the input shape gives it).",
        ),
    ]
    return tuple(head + tail)


KERAS_RNN_ALIASES = {"output_dim": "units", "dropout_W": "dropout", "dropout_U": "recurrent_dropout"}
KERAS_NOTE = (
    "Input (batch, timesteps, features). Default output (N, u); return_sequences=True gives (N, T, u); "
    "return_state=True adds the final states{states}, each (N, u). A 'glu' activation halves the vectors it "
    "acts on, so it only runs where the cell's arithmetic still fits: LSTM and GRU with units=2 (the halves "
    "broadcast; LSTM with both activations 'glu' on one step only, h of width 1), SimpleRNN on a single time step "
    "and not stateful (output u/2). "
)
_KERAS_CELLS = {
    "SimpleRNN": dict(
        cell="simple",
        gates=1,
        states=("h",),
        formula=KERAS_SIMPLE_RNN_PARAMS,
        equivalent="RNN",
        extra="Parameters u(i+u)+u; PyTorch RNN keeps two biases: h(i+h)+2h.",
    ),
    "LSTM": dict(
        cell="lstm",
        gates=4,
        states=("h", "c"),
        formula=KERAS_LSTM_PARAMS,
        equivalent="LSTM",
        extra="Parameters 4(u(i+u)+u): one bias per gate. PyTorch's LSTM has two (b_ih, b_hh): 4(h(i+h)+2h), "
        "so LSTM(50) on 1 feature is 10,400 in Keras and 10,600 in PyTorch.",
    ),
    "GRU": dict(
        cell="gru",
        gates=3,
        states=("h",),
        formula=KERAS_GRU_PARAMS,
        equivalent="GRU",
        extra="Parameters 3(u(i+u)+2u) with reset_after=True (default since Keras 2.3, same as PyTorch); "
        "3(u(i+u)+u) with reset_after=False (Keras 1 and early Keras 2).",
    ),
}
_LSTM_ONLY = {"unit_forget_bias", "forget_bias_init"}
_GATED_ONLY = {"recurrent_activation", "inner_activation"}

for _name, _info in _KERAS_CELLS.items():
    _aliases = dict(KERAS_RNN_ALIASES)
    if _info["cell"] != "simple":
        _aliases["inner_activation"] = "recurrent_activation"
    _spec = register(
        LayerSpec(
            framework="keras",
            name=_name,
            params=keras_rnn_params(_info["cell"]),
            rule=keras_rnn_rule,
            formulas=(_info["formula"],)
            + ((KERAS_GRU_V1_PARAMS,) if _info["cell"] == "gru" else ())
            + (KERAS_RNN_PARAMS_NO_BIAS,)
            + ((GLU_HALF,) if _info["cell"] != "gru" else ()),
            param_aliases=_aliases,
            input_ranks=(3,),
            category="recurrent",
            equivalent=_info["equivalent"],
            note=KERAS_NOTE.format(states=" h and c" if _info["cell"] == "lstm" else " h") + _info["extra"],
            options={"recurrent": True, "cell": _info["cell"], "gates": _info["gates"], "states": _info["states"]},
        )
    )
    # Keep keywords of the other recurrent layers out: Keras 3 rejects them.
    restrict_inert(
        _spec,
        _spec.inert
        - (_LSTM_ONLY if _info["cell"] != "lstm" else set())
        - (_GATED_ONLY if _info["cell"] == "simple" else set()),
    )

register(
    LayerSpec(
        framework="keras",
        name="Bidirectional",
        params=(
            Param(
                "layer",
                nested_recurrent(),
                doc="The recurrent layer to run both ways: {'layer': 'LSTM', 'params': {...}}.",
            ),
            Param(
                "merge_mode",
                optional_merge_mode(),
                "concat",
                "How the two outputs combine: 'concat' (last axis doubles), 'sum', 'mul', 'ave', or None (two outputs).",
            ),
            Param("weights", anything(), None, "Initial values; no shape change."),
            Param(
                "backward_layer",
                optional(nested_recurrent()),
                None,
                "Optional backward layer (go_backwards=True); by default a copy of layer.",
            ),
        ),
        rule=keras_bidirectional_rule,
        formulas=(BIDIRECTIONAL_CONCAT, BIDIRECTIONAL_PARAMS),
        input_ranks=(3,),
        category="recurrent",
        equivalent=None,
        note=(
            "Wraps a recurrent layer: a forward copy and a backward copy, so the parameters double. merge_mode='concat' "
            "doubles the last axis; 'sum', 'mul', 'ave' keep it; None returns both outputs. With return_state the "
            "states follow: forward h (and c), then backward h (and c). PyTorch has no wrapper: pass bidirectional=True "
            "to RNN/LSTM/GRU. With a backward_layer of another width, Keras's symbolic shape (keras.Input, model.summary) "
            "still says twice the forward width; a real call gives the sum of the widths, as here."
        ),
    )
)


# ---- PyTorch ------------------------------------------------------------------------------------


def torch_rnn_rule(ctx) -> Outcome:
    """Batched (L, N, i) or batch_first (N, L, i), or unbatched (L, i): output, h_n (and c_n for LSTM)."""
    prm, name = ctx.p, ctx.spec.name
    gates = ctx.spec.options["gates"]
    hidden, layers, proj = prm["hidden_size"], prm["num_layers"], prm.get("proj_size") or 0
    if proj >= hidden:
        raise ShapeError(
            "proj_too_large",
            f"proj_size has to be smaller than hidden_size, received proj_size={proj} and hidden_size={hidden}",
            "params.proj_size",
        )
    unbatched = len(ctx.x) == 2
    if unbatched:
        (steps, features), batch = ctx.x, None
    elif prm["batch_first"]:
        batch, steps, features = ctx.x
    else:
        steps, batch, features = ctx.x
    check_equal(prm["input_size"], features, "input_size", f"input_shape[{len(ctx.x) - 1}]", name)
    directions = 2 if prm["bidirectional"] else 1
    out_size = proj or hidden
    width = ctx.apply(TORCH_RNN_FEATURES, "output last axis", D=directions, h_out=out_size)
    values = dict(D=directions, G=gates, u=hidden, i=prm["input_size"], n=layers)
    if proj:
        formula = TORCH_LSTM_PROJ_PARAMS if prm["bias"] else TORCH_LSTM_PROJ_PARAMS_NO_BIAS
        count = ctx.apply(formula, "parameters", h_out=proj, **values)
    else:
        count = ctx.apply(TORCH_RNN_PARAMS if prm["bias"] else TORCH_RNN_PARAMS_NO_BIAS, "parameters", **values)
    weights = {}
    for layer in range(layers):
        fan_in = prm["input_size"] if layer == 0 else directions * out_size
        for suffix in ("", "_reverse")[:directions]:
            key = f"l{layer}{suffix}"
            weights[f"weight_ih_{key}"] = (gates * hidden, fan_in)
            weights[f"weight_hh_{key}"] = (gates * hidden, out_size)
            if prm["bias"]:
                weights[f"bias_ih_{key}"] = (gates * hidden,)
                weights[f"bias_hh_{key}"] = (gates * hidden,)
            if proj:
                weights[f"weight_hr_{key}"] = (proj, hidden)
    stack = directions * layers
    if unbatched:
        outputs = {"output": (steps, width), "h_n": (stack, out_size)}
        if gates == 4:
            outputs["c_n"] = (stack, hidden)
    else:
        seq = (batch, steps, width) if prm["batch_first"] else (steps, batch, width)
        outputs = {"output": seq, "h_n": (stack, batch, out_size)}
        if gates == 4:
            outputs["c_n"] = (stack, batch, hidden)
    return Outcome(outputs, weights, param_count=count)


# num_layers multiplies the answer: per layer and direction up to five weight tensors are listed.
MAX_NUM_LAYERS = bounds.MAX_WEIGHT_ENTRIES // (2 * 5)


def torch_rnn_params(kind: str) -> tuple:
    params = [
        Param("input_size", integer(), doc="Features of the input: its last axis."),
        Param("hidden_size", integer(), doc="Features of the hidden state h."),
        Param(
            "num_layers",
            integer(maximum=MAX_NUM_LAYERS),
            1,
            f"Stacked layers (at most {MAX_NUM_LAYERS} here: the answer lists each one's weights); layer k > 1 reads D·H_out features.",
        ),
    ]
    if kind == "RNN":
        params.append(
            Param(
                "nonlinearity",
                choice("tanh", "relu", case_insensitive=False),
                "tanh",
                "'tanh' or 'relu'; no shape change.",
            )
        )
    params += [
        Param("bias", boolean(), True, "Add the two bias vectors b_ih and b_hh per layer and direction."),
        Param(
            "batch_first",
            boolean(),
            False,
            "Input and output are (N, L, F) instead of (L, N, F); h_n and c_n are never batch first.",
        ),
        Param(
            "dropout",
            number(0.0, 1.0),
            0.0,
            "Dropout between stacked layers (a warning, not an error, with num_layers=1).",
        ),
        Param(
            "bidirectional",
            boolean(),
            False,
            "Run both directions: D = 2 doubles the output's last axis and h_n's first.",
        ),
    ]
    if kind == "LSTM":
        params.append(
            Param("proj_size", integer(minimum=0), 0, "Project h to this size (0 = off); must be below hidden_size.")
        )
    return tuple(params)


TORCH_NOTE = (
    "Input (L, N, H_in), (N, L, H_in) with batch_first, or unbatched (L, H_in). Output (L, N, D·H_out) (batch_first: "
    "(N, L, D·H_out)); h_n (D·num_layers, N, H_out) is never batch first{c_n}. Per layer and direction the parameters "
    "are G·h·in + G·h·H_out + 2·G·h: two bias vectors (b_ih and b_hh), where Keras keeps one{extra}."
)
_TORCH_CELLS = {
    "RNN": dict(gates=1, equivalent="SimpleRNN", c_n="", extra=""),
    "LSTM": dict(
        gates=4,
        equivalent="LSTM",
        c_n="; c_n (D·num_layers, N, hidden_size)",
        extra=". With proj_size, H_out = proj_size and each layer and direction adds a projection H_out×h",
    ),
    "GRU": dict(gates=3, equivalent="GRU", c_n="", extra=" (except GRU with reset_after=True, which matches)"),
}
for _name, _info in _TORCH_CELLS.items():
    _spec = register(
        LayerSpec(
            framework="pytorch",
            name=_name,
            params=torch_rnn_params(_name),
            rule=torch_rnn_rule,
            formulas=(TORCH_RNN_FEATURES, TORCH_RNN_PARAMS, TORCH_RNN_PARAMS_NO_BIAS)
            + ((TORCH_LSTM_PROJ_PARAMS, TORCH_LSTM_PROJ_PARAMS_NO_BIAS) if _name == "LSTM" else ()),
            input_ranks=(2, 3),
            category="recurrent",
            equivalent=_info["equivalent"],
            note=TORCH_NOTE.format(c_n=_info["c_n"], extra=_info["extra"]),
            options={"gates": _info["gates"]},
        )
    )
    # torch's RNN modules take only device and dtype besides their own arguments (LSTM(nonlinearity=...) is a TypeError).
    restrict_inert(_spec, {"device", "dtype"})
