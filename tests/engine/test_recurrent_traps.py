"""Recurrent, embedding and attention layers: the named traps pinned with literal numbers, and unit tests.

The trap tests check the engine against literal numbers and, where it is cheap, the real framework too. The unit
tests need no framework: error codes, messages and fields, None and symbolic dimensions, formulas, traces.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine import ShapeError


def ev(framework, layer, params, shape, **kw):
    return engine.evaluate(framework, layer, params, shape, **kw)


def err(framework, layer, params, shape) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        engine.evaluate(framework, layer, params, shape)
    return info.value


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def bi(layer: str, merge=..., backward=None, **params) -> dict:
    out: dict = {"layer": {"layer": layer, "params": params}}
    if merge is not ...:
        out["merge_mode"] = merge
    if backward is not None:
        out["backward_layer"] = backward
    return out


# ---- pinned traps ---------------------------------------------------------------------------------


def test_torch_lstm_keeps_two_bias_vectors_where_keras_keeps_one(torch, keras):
    # PyTorch 4(h(i+h)+2h) against Keras 4(u(i+u)+u): with i=3, h=u=5 that is 200 against 180.
    mine_torch = ev("pytorch", "LSTM", {"input_size": 3, "hidden_size": 5}, [4, 2, 3])
    mine_keras = ev("keras", "LSTM", {"units": 5}, [None, 4, 3])
    assert mine_torch["param_count"] == 4 * (5 * (3 + 5) + 2 * 5) == 200
    assert mine_keras["param_count"] == 4 * (5 * (3 + 5) + 5) == 180
    assert mine_torch["weights"] == {
        "weight_ih_l0": [20, 3],
        "weight_hh_l0": [20, 5],
        "bias_ih_l0": [20],
        "bias_hh_l0": [20],
    }
    assert mine_keras["weights"] == {"kernel": [3, 20], "recurrent_kernel": [5, 20], "bias": [20]}
    assert sum(p.numel() for p in torch.nn.LSTM(3, 5).parameters()) == 200
    layer = keras.layers.LSTM(5)
    layer.build((None, 4, 3))
    assert layer.count_params() == 180


def test_keras_gru_reset_after_counts(keras):
    # reset_after=True (default): 3(u(i+u)+2u), bias (2, 3u); reset_after=False: 3(u(i+u)+u), bias (3u,).
    after = ev("keras", "GRU", {"units": 5}, [None, 7, 3])
    before = ev("keras", "GRU", {"units": 5, "reset_after": False}, [None, 7, 3])
    assert after["param_count"] == 150 and after["weights"]["bias"] == [2, 15]
    assert before["param_count"] == 135 and before["weights"]["bias"] == [15]
    for reset_after, count in ((True, 150), (False, 135)):
        layer = keras.layers.GRU(5, reset_after=reset_after)
        layer.build((None, 7, 3))
        assert layer.count_params() == count
    # PyTorch's GRU always has two biases, like reset_after=True.
    assert ev("pytorch", "GRU", {"input_size": 3, "hidden_size": 5}, [7, 2, 3])["param_count"] == 150


@pytest.mark.parametrize("input_length", [None, 10, 5])
def test_keras3_ignores_embedding_input_length(keras, input_length):
    params = {"input_dim": 263, "output_dim": 64}
    if input_length is not None:
        params["input_length"] = input_length  # 5 disagrees with the input's 10 time steps: still ignored
    mine = ev("keras", "Embedding", params, [None, 10])
    assert mine["output_shape"] == [None, 10, 64]
    assert mine["param_count"] == 16832 == 263 * 64
    assert mine["weights"] == {"embeddings": [263, 64]}
    layer = quiet(lambda: keras.layers.Embedding(**params))
    out = layer(np.zeros((2, 10), dtype="int32"))
    assert tuple(out.shape) == (2, 10, 64)
    assert layer.count_params() == 16832
    assert tuple(layer.embeddings.shape) == (263, 64)


def test_keras3_embedding_input_length_no_longer_builds_a_sequential(keras):
    model = quiet(lambda: keras.Sequential([keras.layers.Embedding(263, 64, input_length=10)]))
    assert not model.built


def test_keras_lstm_50_on_512_steps_of_one_feature(keras):
    mine = ev("keras", "LSTM", {"units": 50}, [None, 512, 1])
    assert mine["output_shape"] == [None, 50]
    assert mine["param_count"] == 10400 == 4 * (50 * (1 + 50) + 50)
    layer = keras.layers.LSTM(50)
    out = layer(keras.Input(shape=(512, 1)))
    assert tuple(out.shape) == (None, 50)
    assert layer.count_params() == 10400


def test_torch_lstm_batch_first_on_600000_sequences(torch):
    mine = ev("pytorch", "LSTM", {"input_size": 1, "hidden_size": 50, "batch_first": True}, [600000, 512, 1])
    assert mine["outputs"] == {"output": [600000, 512, 50], "h_n": [1, 600000, 50], "c_n": [1, 600000, 50]}
    assert mine["param_count"] == 10600 == 4 * (50 * (1 + 50) + 2 * 50)
    # The real layer on a smaller batch: h_n and c_n stay (layers, N, h) although batch_first=True.
    module = torch.nn.LSTM(1, 50, batch_first=True)
    with torch.no_grad():
        out, (h, c) = module(torch.zeros(3, 512, 1))
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((3, 512, 50), (1, 3, 50), (1, 3, 50))
    assert sum(p.numel() for p in module.parameters()) == 10600
    small = ev("pytorch", "LSTM", {"input_size": 1, "hidden_size": 50, "batch_first": True}, [3, 512, 1])
    assert small["outputs"] == {"output": [3, 512, 50], "h_n": [1, 3, 50], "c_n": [1, 3, 50]}


def test_keras_bidirectional_with_a_narrower_backward_layer(keras):
    # A real call concatenates 5 + 4 = 9 features; Keras's symbolic shape (model.summary) says 2 * 5 = 10.
    params = bi("LSTM", units=5, backward={"layer": "LSTM", "params": {"units": 4, "go_backwards": True}})
    mine = ev("keras", "Bidirectional", params, [None, 4, 3])
    assert mine["output_shape"] == [None, 9]
    assert mine["param_count"] == 180 + 128 == 308
    layers = keras.layers

    def build():
        return layers.Bidirectional(layers.LSTM(5), backward_layer=layers.LSTM(4, go_backwards=True))

    assert tuple(build()(np.zeros((2, 4, 3), dtype="float32")).shape) == (2, 9)
    assert tuple(build()(keras.Input(batch_shape=(None, 4, 3))).shape) == (None, 10)


def test_keras_bidirectional_elementwise_merge_broadcasts_a_width_of_one(keras):
    params = bi("SimpleRNN", "ave", backward={"layer": "GRU", "params": {"units": 1, "go_backwards": True}}, units=3)
    assert ev("keras", "Bidirectional", params, [2, 4, 2])["output_shape"] == [2, 3]
    layers = keras.layers
    layer = layers.Bidirectional(layers.SimpleRNN(3), merge_mode="ave", backward_layer=layers.GRU(1, go_backwards=True))
    assert tuple(layer(np.zeros((2, 4, 2), dtype="float32")).shape) == (2, 3)
    wrong = bi("LSTM", "sum", backward={"layer": "LSTM", "params": {"units": 4, "go_backwards": True}}, units=5)
    e = err("keras", "Bidirectional", wrong, [2, 4, 3])
    assert e.code == "merge_mismatch" and "5" in e.message and "4" in e.message


def test_keras_bidirectional_stateful_return_state_is_a_keras_bug(keras):
    e = err("keras", "Bidirectional", bi("LSTM", units=3, stateful=True, return_state=True), [2, 4, 2])
    assert e.code == "framework_bug" and e.field == "params.layer.params.return_state"
    layers = keras.layers
    with pytest.raises(TypeError):
        layers.Bidirectional(layers.LSTM(3, stateful=True, return_state=True))(np.zeros((2, 4, 2), dtype="float32"))


def test_keras_attention_scores_use_the_value_length(keras):
    # Real scores are (B, h, T, S); Keras's symbolic spec says (B, h, T, T).
    params = {"num_heads": 2, "key_dim": 3, "value_shape": [2, 6, 7], "return_attention_scores": True}
    mine = ev("keras", "MultiHeadAttention", params, [2, 4, 5])
    assert mine["outputs"] == {"output": [2, 4, 5], "attention_scores": [2, 2, 4, 6]}
    assert mine["param_count"] == 167  # 2*3*(5+7) + 2*3*(7+5) + 2*2*3 + 2*3 + 5
    layer = keras.layers.MultiHeadAttention(2, 3)
    out, scores = layer(np.zeros((2, 4, 5), "float32"), np.zeros((2, 6, 7), "float32"), return_attention_scores=True)
    assert (tuple(out.shape), tuple(scores.shape), layer.count_params()) == ((2, 4, 5), (2, 2, 4, 6), 167)
    symbolic = keras.layers.MultiHeadAttention(2, 3)
    _, spec = symbolic(
        keras.Input(batch_shape=(2, 4, 5)), keras.Input(batch_shape=(2, 6, 7)), return_attention_scores=True
    )
    assert tuple(spec.shape) == (2, 2, 4, 4)


def test_keras_rank3_fused_attention_ignores_attention_axes(keras):
    # Without dropout or scores, rank-3 inputs take a fused kernel: attention_axes=[2] is never read.
    params = {"num_heads": 2, "key_dim": 3, "attention_axes": [2], "value_shape": [2, 6, 7]}
    assert ev("keras", "MultiHeadAttention", params, [2, 4, 5])["output_shape"] == [2, 4, 5]
    # With scores, [2] is read on the projected (B, T, h, d_k): the heads axis is attended, and T (4) is
    # then matched against S (6) as a batch axis, which fails.
    e = err("keras", "MultiHeadAttention", {**params, "return_attention_scores": True}, [2, 4, 5])
    assert e.code == "batch_mismatch" and e.field == "params.value_shape[1]"
    q, v = np.zeros((2, 4, 5), "float32"), np.zeros((2, 6, 7), "float32")
    assert tuple(keras.layers.MultiHeadAttention(2, 3, attention_axes=[2])(q, v).shape) == (2, 4, 5)
    with pytest.raises(RuntimeError):
        keras.layers.MultiHeadAttention(2, 3, attention_axes=[2])(q, v, return_attention_scores=True)


@pytest.mark.parametrize("axes", [[0], [3], [-1], [0, 1, 2]])
@pytest.mark.parametrize("scores", [False, True])
def test_keras_attention_axes_naming_the_batch_or_feature_axis_are_taken(keras, axes, scores):
    # Issue 12: Keras reads attention_axes on the projected (B, T1, T2, heads, key_dim), so [3] and [-1] name the
    # heads axis and [0] the batch: Keras accepts them, and the engine answers the same shapes.
    q, v = np.zeros((2, 3, 4, 5), "float32"), np.zeros((2, 3, 4, 5), "float32")
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=axes)
    real = layer(q, v, return_attention_scores=scores)
    shapes = [list(t.shape) for t in (real if scores else [real])]
    mine = ev(
        "keras",
        "MultiHeadAttention",
        {"num_heads": 2, "key_dim": 2, "attention_axes": axes, "return_attention_scores": scores},
        [2, 3, 4, 5],
    )
    assert list(mine["outputs"].values()) == shapes
    assert mine["param_count"] == layer.count_params() == 97


def test_torch_multihead_attention_default_count_and_averaged_weights(torch):
    mine = ev("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "key_shape": [7, 3, 8]}, [5, 3, 8])
    assert mine["outputs"] == {"attn_output": [5, 3, 8], "attn_weights": [3, 5, 7]}
    assert mine["param_count"] == 4 * 8**2 + 4 * 8 == 288
    module = torch.nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        out, weights = module(torch.zeros(5, 3, 8), torch.zeros(7, 3, 8), torch.zeros(7, 3, 8))
    assert (tuple(out.shape), tuple(weights.shape)) == ((5, 3, 8), (3, 5, 7))


def test_torch_negative_attention_dropout_fails_only_without_weights(torch):
    base = {"embed_dim": 4, "num_heads": 2, "dropout": -0.2}
    assert ev("pytorch", "MultiheadAttention", base, [3, 2, 4])["param_count"] == 80
    e = err("pytorch", "MultiheadAttention", {**base, "need_weights": False}, [3, 2, 4])
    assert e.code == "invalid_param" and e.field == "params.dropout"
    module = torch.nn.MultiheadAttention(4, 2, dropout=-0.2)
    x = torch.zeros(3, 2, 4)
    with torch.no_grad():
        module(x, x, x)
        with pytest.raises(RuntimeError):
            module(x, x, x, need_weights=False)


# ---- unit tests: Keras recurrent ------------------------------------------------------------------


def test_keras_return_state_names_and_shapes():
    lstm = ev("keras", "LSTM", {"units": 5, "return_sequences": True, "return_state": True}, [None, 7, 3])
    assert lstm["outputs"] == {"output": [None, 7, 5], "h": [None, 5], "c": [None, 5]}
    gru = ev("keras", "GRU", {"units": 5, "return_state": True}, [None, 7, 3])
    assert gru["outputs"] == {"output": [None, 5], "h": [None, 5]}
    rnn = ev("keras", "SimpleRNN", {"units": 5, "return_state": True}, [None, 7, 3])
    assert rnn["outputs"] == {"output": [None, 5], "h": [None, 5]} and rnn["param_count"] == 45


def test_keras1_spellings_are_accepted():
    new = ev("keras", "LSTM", {"units": 32, "recurrent_activation": "hard_sigmoid", "dropout": 0.2}, [None, 10, 64])
    old = ev(
        "keras",
        "LSTM",
        {"output_dim": 32, "inner_activation": "hard_sigmoid", "dropout_W": 0.2, "input_dim": 64, "input_length": 10},
        [None, 10, 64],
    )
    assert old["outputs"] == new["outputs"] and old["param_count"] == new["param_count"] == 12416


def test_keras_rnn_keywords_of_other_layers_are_rejected():
    e = err("keras", "SimpleRNN", {"units": 4, "recurrent_activation": "sigmoid"}, [None, 3, 2])
    assert e.code == "unknown_param" and e.field == "params.recurrent_activation"
    e = err("keras", "GRU", {"units": 4, "unit_forget_bias": True}, [None, 3, 2])
    assert e.code == "unknown_param"
    assert ev("keras", "LSTM", {"units": 4, "unit_forget_bias": False}, [None, 3, 2])["param_count"] == 112


def test_keras_recurrent_errors_name_the_field():
    e = err("keras", "LSTM", {"units": 5}, [None, 7, None])
    assert (e.code, e.field) == ("unknown_dimension", "input_shape[2]")
    e = err("keras", "LSTM", {"units": 5}, [None, 7])
    assert e.code == "rank_mismatch" and "rank 3" in e.message and "[None, 7]" in e.message
    e = err("keras", "GRU", {"units": 5, "stateful": True}, [None, 7, 3])
    assert (e.code, e.field) == ("stateful_needs_batch", "input_shape[0]") and "(None, 7, 3)" in e.message
    e = err("keras", "LSTM", {"units": 0}, [None, 7, 3])
    assert (e.code, e.field) == ("invalid_param", "params.units") and "received 0" in e.message
    e = err("keras", "LSTM", {"units": 5, "use_cudnn": "yes"}, [None, 7, 3])
    assert (e.code, e.field) == ("invalid_param", "params.use_cudnn")
    e = err("keras", "LSTM", {"units": 5, "output_dim": 5}, [None, 7, 3])
    assert e.code == "duplicate_param"


def test_keras_recurrent_with_none_and_symbolic_dims():
    r = ev("keras", "LSTM", {"units": 5, "return_sequences": True, "unroll": True}, [None, None, 3])
    assert r["output_shape"] == [None, None, 5] and r["param_count"] == 180
    r = ev("keras", "LSTM", {"units": 4}, ["B", "T", "F"])
    assert r["output_shape"] == ["B", 4]
    assert r["param_count"] == "16*F + 80" and r["weights"]["kernel"] == ["F", 16]
    r = ev("keras", "GRU", {"units": 2, "return_sequences": True, "stateful": True}, [8, "T", 3])
    assert r["output_shape"] == [8, "T", 2]


def test_keras_recurrent_formulas():
    r = ev("keras", "LSTM", {"units": 50}, [None, 512, 1], substitute=True)
    (formula,) = r["formulas"]
    assert formula["key"] == "keras_lstm_param_count" and formula["text"] == "P = 4*(u*(i + u) + u)"
    assert formula["values"] == {"u": 50, "i": 1}
    r = ev("keras", "GRU", {"units": 4, "use_bias": False}, [None, 5, 2])
    assert r["param_count"] == 3 * 4 * (2 + 4) and r["formulas"][0]["key"] == "keras_rnn_param_count_no_bias"
    assert "bias" not in r["weights"]


def test_keras_bidirectional_outputs_and_counts():
    r = ev("keras", "Bidirectional", bi("LSTM", units=5), [None, 4, 3])
    assert r["outputs"] == {"output": [None, 10]} and r["param_count"] == 360
    assert r["weights"]["forward/kernel"] == [3, 20] and r["weights"]["backward/bias"] == [20]
    r = ev("keras", "Bidirectional", bi("LSTM", None, units=5, return_state=True), [None, 4, 3])
    assert list(r["outputs"]) == [
        "forward_output",
        "backward_output",
        "forward_h",
        "forward_c",
        "backward_h",
        "backward_c",
    ]
    r = ev("keras", "Bidirectional", bi("GRU", "mul", units=6, return_sequences=True), [2, 9, 3])
    assert r["output_shape"] == [2, 9, 6] and r["param_count"] == 2 * 3 * (6 * 9 + 12)
    keys = [f["key"] for f in r["formulas"]]
    assert keys == ["keras_gru_param_count", "keras_gru_param_count", "bidirectional_param_count"]
    assert r["formulas"][0]["where"].startswith("forward GRU")


def test_keras_bidirectional_errors_name_the_nested_field():
    e = err("keras", "Bidirectional", bi("LSTM", unitz=5), [None, 4, 3])
    assert (e.code, e.field) == ("unknown_param", "params.layer.params.unitz") and "units" in e.message
    e = err("keras", "Bidirectional", {"layer": {"layer": "Dense", "params": {"units": 4}}}, [None, 4, 3])
    assert (e.code, e.field) == ("not_recurrent", "params.layer.layer") and "Dense" in e.message
    e = err("keras", "Bidirectional", {"layer": {"layer": "LSTMM", "params": {}}}, [None, 4, 3])
    assert (e.code, e.field) == ("unknown_layer", "params.layer.layer") and "LSTM" in e.message
    e = err("keras", "Bidirectional", {"layer": "LSTM"}, [None, 4, 3])
    assert (e.code, e.field) == ("invalid_param", "params.layer")
    e = err("keras", "Bidirectional", {"layer": {"layer": "LSTM", "params": {"units": 4}, "units": 3}}, [None, 4, 3])
    assert e.code == "invalid_param" and "units" in e.message
    e = err("keras", "Bidirectional", bi("LSTM", units=5, go_backwards=True), [None, 4, 3])
    assert e.code == "same_direction"
    back = {"layer": "GRU", "params": {"units": 5}}
    e = err("keras", "Bidirectional", bi("LSTM", backward=back, units=5), [None, 4, 3])
    assert (e.code, e.field) == ("same_direction", "params.backward_layer.params.go_backwards")
    back = {"layer": "GRU", "params": {"units": 5, "go_backwards": True, "return_sequences": True}}
    e = err("keras", "Bidirectional", bi("LSTM", backward=back, units=5), [None, 4, 3])
    assert (e.code, e.field) == ("direction_mismatch", "params.backward_layer.params.return_sequences")
    e = err("keras", "Bidirectional", bi("LSTM", "max", units=5), [None, 4, 3])
    assert (e.code, e.field) == ("invalid_param", "params.merge_mode")
    e = err("keras", "Bidirectional", bi("LSTM", units=5, stateful=True), [None, 4, 3])
    assert e.code == "stateful_needs_batch" and e.message.startswith("forward layer:")


def test_keras_bidirectional_in_a_trace():
    layers = [
        {"layer": "Embedding", "params": {"input_dim": 263, "output_dim": 64}},
        {"layer": "LSTM", "params": {"units": 50, "return_sequences": True}},
        {"layer": "Bidirectional", "params": bi("GRU", units=8)},
        {"layer": "Dense", "params": {"units": 1}},
    ]
    r = engine.trace("keras", [None, 10], layers)
    assert [s["output_shape"] for s in r["layers"]] == [[None, 10, 64], [None, 10, 50], [None, 16], [None, 1]]
    assert [s["param_count"] for s in r["layers"]] == [16832, 23000, 2880, 17]
    assert r["total_params"] == 42729  # checked against keras.Sequential(...).count_params()


# ---- unit tests: PyTorch recurrent ----------------------------------------------------------------


def test_torch_recurrent_layouts():
    params = {"input_size": 3, "hidden_size": 6, "num_layers": 2, "bidirectional": True}
    r = ev("pytorch", "GRU", params, [7, 4, 3])
    assert r["outputs"] == {"output": [7, 4, 12], "h_n": [4, 4, 6]}
    r = ev("pytorch", "GRU", {**params, "batch_first": True}, [4, 7, 3])
    assert r["outputs"] == {"output": [4, 7, 12], "h_n": [4, 4, 6]}
    r = ev("pytorch", "RNN", {"input_size": 3, "hidden_size": 6}, [7, 3])
    assert r["outputs"] == {"output": [7, 6], "h_n": [1, 6]} and r["param_count"] == 6 * 3 + 6 * 6 + 12
    # Layer 2 reads D*h = 12 features: 2 * 3 * 6 * (3 + 6 + 2) + 2 * 3 * 6 * (12 + 6 + 2).
    assert ev("pytorch", "GRU", params, [7, 4, 3])["param_count"] == 396 + 720
    assert r["weights"]["weight_ih_l0"] == [6, 3]


def test_torch_lstm_projection():
    params = {"input_size": 3, "hidden_size": 6, "num_layers": 2, "bidirectional": True, "proj_size": 2}
    r = ev("pytorch", "LSTM", params, [7, 3])
    assert r["outputs"] == {"output": [7, 4], "h_n": [4, 2], "c_n": [4, 6]}
    # Per direction: layer 1 24*3 + 24*2 + 48 + 2*6 = 180, layer 2 24*4 + 24*2 + 48 + 12 = 204.
    assert r["param_count"] == 2 * 180 + 2 * 204 == 768
    assert r["weights"]["weight_hr_l1_reverse"] == [2, 6] and r["weights"]["weight_ih_l1"] == [24, 4]
    assert r["formulas"][-1]["key"] == "torch_lstm_proj_param_count"
    no_bias = ev("pytorch", "LSTM", {**params, "bias": False}, [7, 3])
    assert no_bias["param_count"] == 768 - 4 * 48


def test_torch_recurrent_errors():
    e = err("pytorch", "LSTM", {"input_size": 3, "hidden_size": 6, "proj_size": 6}, [7, 2, 3])
    assert (e.code, e.field) == ("proj_too_large", "params.proj_size") and "proj_size=6" in e.message
    e = err("pytorch", "LSTM", {"input_size": 3, "hidden_size": 6}, [7, 2, 4])
    assert (e.code, e.field) == ("channel_mismatch", "input_shape[2]") and "3" in e.message and "4" in e.message
    e = err("pytorch", "GRU", {"input_size": 3, "hidden_size": 6}, [7, 4])
    assert e.field == "input_shape[1]"
    e = err("pytorch", "LSTM", {"input_size": 3, "hidden_size": 6}, [7, 2, 1, 3])
    assert e.code == "rank_mismatch"
    e = err("pytorch", "LSTM", {"input_size": 3, "hidden_size": 6, "nonlinearity": "relu"}, [7, 2, 3])
    assert (e.code, e.field) == ("unknown_param", "params.nonlinearity")
    e = err("pytorch", "GRU", {"input_size": 3, "hidden_size": 6, "proj_size": 2}, [7, 2, 3])
    assert e.code == "unknown_param"
    e = err("pytorch", "RNN", {"input_size": 3, "hidden_size": 6, "nonlinearity": "Tanh"}, [7, 2, 3])
    assert (e.code, e.field) == ("invalid_param", "params.nonlinearity")
    e = err("pytorch", "RNN", {"input_size": 3, "hidden_size": 6, "dropout": 1.5}, [7, 2, 3])
    assert (e.code, e.field) == ("invalid_param", "params.dropout")
    assert ev("pytorch", "RNN", {"input_size": 3, "hidden_size": 6, "device": "cpu"}, [7, 2, 3])["param_count"] == 66


def test_torch_recurrent_with_none_and_symbolic_dims():
    r = ev("pytorch", "LSTM", {"input_size": 3, "hidden_size": 5}, ["L", "N", 3])
    assert r["outputs"] == {"output": ["L", "N", 5], "h_n": [1, "N", 5], "c_n": [1, "N", 5]}
    r = ev("pytorch", "LSTM", {"input_size": 3, "hidden_size": 5, "batch_first": True}, [None, None, None])
    assert r["outputs"] == {"output": [None, None, 5], "h_n": [1, None, 5], "c_n": [1, None, 5]}


def test_torch_recurrent_in_a_trace():
    layers = [
        {"layer": "Embedding", "params": {"num_embeddings": 1000, "embedding_dim": 32}},
        {"layer": "LSTM", "params": {"input_size": 32, "hidden_size": 64, "batch_first": True}},
        {"layer": "Linear", "params": {"in_features": 64, "out_features": 10}},
    ]
    r = engine.trace("pytorch", [8, 20], layers)
    assert r["output_shape"] == [8, 20, 10]
    assert r["total_params"] == 32000 + 4 * (64 * (32 + 64) + 2 * 64) + 650


# ---- unit tests: embeddings -----------------------------------------------------------------------


def test_embeddings_take_any_rank():
    assert ev("keras", "Embedding", {"input_dim": 10, "output_dim": 4}, [7])["output_shape"] == [7, 4]
    r = ev("keras", "Embedding", {"input_dim": 10, "output_dim": 4}, [None, "T", 3])
    assert r["output_shape"] == [None, "T", 3, 4]
    r = ev("pytorch", "Embedding", {"num_embeddings": 10, "embedding_dim": 4, "padding_idx": -10}, ["B", 2, 3])
    assert r["output_shape"] == ["B", 2, 3, 4] and r["weights"] == {"weight": [10, 4]}


def test_keras_embedding_lora():
    r = ev("keras", "Embedding", {"input_dim": 10, "output_dim": 6, "lora_rank": 3}, [2, 4])
    assert r["param_count"] == 10 * 6 + 3 * (10 + 6) == 108 and r["trainable_params"] == 48
    assert r["weights"] == {"embeddings": [10, 6], "lora_embeddings_a": [10, 3], "lora_embeddings_b": [3, 6]}
    assert ev("keras", "Embedding", {"input_dim": 10, "output_dim": 6, "lora_rank": 0}, [2, 4])["param_count"] == 60


def test_embedding_errors():
    e = err("pytorch", "Embedding", {"num_embeddings": 10, "embedding_dim": 4, "padding_idx": 10}, [2])
    assert (e.code, e.field) == ("padding_idx_out_of_range", "params.padding_idx")
    assert "[-10, 9]" in e.message and "received 10" in e.message
    e = err("keras", "Embedding", {"input_dim": 0, "output_dim": 4}, [2])
    assert (e.code, e.field) == ("invalid_param", "params.input_dim")
    e = err("pytorch", "Embedding", {"num_embeddings": 10, "embedding_dim": 4, "device": "cpu", "mask_zero": True}, [2])
    assert (e.code, e.field) == ("unknown_param", "params.mask_zero")


# ---- unit tests: attention ------------------------------------------------------------------------


def test_keras_attention_counts_and_weights():
    params = {
        "num_heads": 2,
        "key_dim": 3,
        "value_dim": 4,
        "output_shape": 9,
        "value_shape": [2, 6, 7],
        "key_shape": [2, 6, 8],
    }
    r = ev("keras", "MultiHeadAttention", params, [2, 4, 5])
    assert r["output_shape"] == [2, 4, 9] and r["param_count"] == 235
    assert r["weights"]["key/kernel"] == [8, 2, 3] and r["weights"]["attention_output/kernel"] == [2, 4, 9]
    r = ev("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "output_shape": [2, 3]}, [2, 4, 5])
    assert r["output_shape"] == [2, 4, 2, 3] and r["weights"]["attention_output/bias"] == [2, 3]
    r = ev(
        "keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "use_bias": False, "use_gate": True}, [2, 4, 5]
    )
    assert r["param_count"] == 2 * 3 * (5 + 5) + 2 * 3 * (5 + 5 + 5) and "gate/kernel" in r["weights"]
    r = ev("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "output_shape": 0}, [2, 4, 5])
    assert r["output_shape"] == [2, 4, 5]  # a falsy output_shape means unset, as in Keras


def test_keras_attention_axes_and_broadcast():
    params = {"num_heads": 2, "key_dim": 3, "value_shape": [2, 6, 7, 7], "return_attention_scores": True}
    r = ev("keras", "MultiHeadAttention", params, [2, 4, 3, 5])
    assert r["outputs"]["attention_scores"] == [2, 2, 4, 3, 6, 7]
    r = ev("keras", "MultiHeadAttention", {**params, "attention_axes": [2, 1]}, [2, 4, 3, 5])
    assert r["outputs"]["attention_scores"] == [2, 2, 3, 4, 7, 6]
    r = ev("keras", "MultiHeadAttention", {**params, "attention_axes": -2, "value_shape": [2, 1, 7, 7]}, [2, 4, 3, 5])
    assert r["outputs"] == {"output": [2, 4, 3, 5], "attention_scores": [2, 4, 2, 3, 7]}
    r = ev("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "value_shape": [2, 6, 7]}, [1, 4, 5])
    assert r["output_shape"] == [2, 4, 5]  # a batch of 1 broadcasts


def test_keras_attention_with_none_and_symbolic_dims():
    params = {"num_heads": 2, "key_dim": 4, "value_shape": [None, "S", 8], "return_attention_scores": True}
    r = ev("keras", "MultiHeadAttention", params, [None, "T", 8])
    assert r["outputs"] == {"output": [None, "T", 8], "attention_scores": [None, 2, "T", "S"]}
    r = ev("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [None, None, "C"])
    assert r["param_count"] == "33*C + 24"


def test_keras_attention_errors():
    base = {"num_heads": 2, "key_dim": 3}
    e = err("keras", "MultiHeadAttention", {**base, "value_shape": [2, 6, 7], "key_shape": [2, 5, 7]}, [2, 4, 5])
    assert (e.code, e.field) == ("key_value_mismatch", "params.key_shape[1]") and "(2, 6, 7)" in e.message
    e = err("keras", "MultiHeadAttention", {**base, "value_shape": [2, 6, 3, 7]}, [2, 4, 5])
    assert (e.code, e.field) == ("rank_mismatch", "params.value_shape")
    e = err("keras", "MultiHeadAttention", {**base, "value_shape": [3, 6, 7]}, [2, 4, 5])
    assert (e.code, e.field) == ("batch_mismatch", "params.value_shape[0]") and "(size 3)" in e.message
    # attention_axes naming the batch axis is taken (issue 12); the feature axis, or one axis twice, is not.
    assert ev("keras", "MultiHeadAttention", {**base, "attention_axes": [0], "dropout": 0.1}, [2, 4, 5])[
        "output_shape"
    ] == [2, 4, 5]
    e = err(
        "keras", "MultiHeadAttention", {**base, "attention_axes": [1, 1], "return_attention_scores": True}, [2, 4, 3, 5]
    )
    assert e.code == "invalid_attention_axes" and "twice" in e.message
    e = err("keras", "MultiHeadAttention", {**base, "attention_axes": [4], "dropout": 0.1}, [2, 4, 3, 5])
    assert e.code == "invalid_attention_axes" and "feature axis" in e.message
    e = err("keras", "MultiHeadAttention", {**base, "attention_axes": [5]}, [2, 4, 3, 5])
    assert e.code == "invalid_attention_axes" and "out of range" in e.message
    e = err("keras", "MultiHeadAttention", {**base, "flash_attention": True, "dropout": 0.2}, [2, 4, 5])
    assert (e.code, e.field) == ("flash_with_dropout", "params.dropout")
    e = err(
        "keras", "MultiHeadAttention", {**base, "flash_attention": True, "return_attention_scores": True}, [2, 4, 5]
    )
    assert e.code == "flash_with_scores"
    e = err("keras", "MultiHeadAttention", base, [2, 4, None])
    assert (e.code, e.field) == ("unknown_dimension", "input_shape[2]")
    e = err("keras", "MultiHeadAttention", base, [2, 5])
    assert e.code == "rank_mismatch"
    e = err("keras", "MultiHeadAttention", {**base, "value_shape": [2, "6x", 7]}, [2, 4, 5])
    assert (e.code, e.field) == ("invalid_dimension", "params.value_shape[1]")
    e = err("keras", "MultiHeadAttention", {**base, "dropout": 1.5}, [2, 4, 5])
    assert (e.code, e.field) == ("invalid_param", "params.dropout")


def test_torch_attention_layouts_and_counts():
    params = {
        "embed_dim": 8,
        "num_heads": 2,
        "kdim": 4,
        "vdim": 6,
        "bias": False,
        "add_bias_kv": True,
        "add_zero_attn": True,
    }
    r = ev("pytorch", "MultiheadAttention", {**params, "key_shape": [7, 3, 4], "value_shape": [7, 3, 6]}, [5, 3, 8])
    assert r["outputs"] == {"attn_output": [5, 3, 8], "attn_weights": [3, 5, 9]}
    assert r["param_count"] == 8 * (8 + 4 + 6) + 8 * 8 + 2 * 8 == 224
    assert set(r["weights"]) == {
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
        "bias_k",
        "bias_v",
        "out_proj.weight",
    }
    r = ev(
        "pytorch",
        "MultiheadAttention",
        {"embed_dim": 8, "num_heads": 2, "batch_first": True, "average_attn_weights": False},
        [3, 5, 8],
    )
    assert r["outputs"] == {"attn_output": [3, 5, 8], "attn_weights": [3, 2, 5, 5]}
    r = ev(
        "pytorch",
        "MultiheadAttention",
        {"embed_dim": 8, "num_heads": 2, "need_weights": False, "key_shape": [7, 8]},
        [5, 8],
    )
    assert r["outputs"] == {"attn_output": [5, 8]}
    r = ev("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 4, "key_shape": ["S", "N", 8]}, ["L", "N", 8])
    assert r["outputs"] == {"attn_output": ["L", "N", 8], "attn_weights": ["N", "L", "S"]}


def test_torch_attention_errors():
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 3}, [5, 3, 8])
    assert (e.code, e.field) == ("heads_mismatch", "params.num_heads") and "embed_dim=8" in e.message
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, [5, 3, 7])
    assert (e.code, e.field) == ("channel_mismatch", "input_shape[2]") and "of 8, but got 7" in e.message
    e = err(
        "pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "kdim": 4, "key_shape": [7, 3, 5]}, [5, 3, 8]
    )
    assert (e.code, e.field) == ("channel_mismatch", "params.key_shape[2]")
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "value_shape": [6, 3, 8]}, [5, 3, 8])
    assert (e.code, e.field) == ("key_value_mismatch", "params.value_shape[0]")
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "key_shape": [7, 2, 8]}, [5, 3, 8])
    assert (e.code, e.field) == ("batch_mismatch", "params.key_shape[1]")
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "key_shape": [7, 8]}, [5, 3, 8])
    assert (e.code, e.field) == ("rank_mismatch", "params.key_shape") and "3-D" in e.message
    e = err("pytorch", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "dropout": 1.5}, [5, 3, 8])
    assert (e.code, e.field) == ("invalid_param", "params.dropout")


def test_declarations_describe_themselves():
    for framework, name, category, equivalent in (
        ("keras", "LSTM", "recurrent", "LSTM"),
        ("keras", "SimpleRNN", "recurrent", "RNN"),
        ("keras", "Bidirectional", "recurrent", None),
        ("pytorch", "GRU", "recurrent", "GRU"),
        ("keras", "Embedding", "embedding", "Embedding"),
        ("pytorch", "MultiheadAttention", "attention", "MultiHeadAttention"),
        ("keras", "MultiHeadAttention", "attention", "MultiheadAttention"),
    ):
        d = engine.get_layer(framework, name).describe()
        assert (d["category"], d["equivalent"]) == (category, equivalent)
        assert d["note"] and d["formulas"]
    positional = engine.get_layer("pytorch", "RNN").positional
    assert positional[:8] == (
        "input_size",
        "hidden_size",
        "num_layers",
        "nonlinearity",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
    )
    assert engine.get_layer("keras", "Embedding").positional[:3] == (
        "input_dim",
        "output_dim",
        "embeddings_initializer",
    )
