"""Pasted snippets are read with ast: literals only, nothing runs."""

from __future__ import annotations

import os
import uuid

import pytest

from engine import ShapeError, evaluate
from engine.snippet import MAX_SNIPPET_CHARS, parse_snippet


def test_keras1_sequential_snippet_gives_layer_and_input_shape():
    code = "model = Sequential()\nmodel.add(Convolution1D(64, 3, border_mode='same', input_shape=(10, 32)))\n"
    parsed = parse_snippet(code)
    assert parsed["framework"] == "keras"
    assert parsed["input_shape"] == [None, 10, 32]
    (layer,) = parsed["layers"]
    assert layer["layer"] == "Conv1D"
    result = evaluate("keras", layer["layer"], layer["params"], parsed["input_shape"])
    assert result["output_shape"] == [None, 10, 64]


def test_torch_snippet_maps_positional_arguments_by_declaration_order():
    parsed = parse_snippet("c = nn.Conv2d(3, 32, kernel_size=5, stride=1, padding=2)")
    assert parsed["framework"] == "pytorch"
    assert parsed["layers"][0]["params"] == {
        "in_channels": 3,
        "out_channels": 32,
        "kernel_size": 5,
        "stride": 1,
        "padding": 2,
    }


def test_module_level_literal_names_and_integer_arithmetic_are_folded():
    parsed = parse_snippet("units = 128\nx = layers.Dense(units * 16 * 16)(x)\n")
    assert parsed["layers"][0]["params"] == {"units": 32768}


def test_keras2_convolution2d_legacy_positional_order():
    parsed = parse_snippet("Convolution2D(64, 3, 5, border_mode='valid')", framework="keras")
    params = parsed["layers"][0]["params"]
    assert params == {"nb_filter": 64, "nb_row": 3, "nb_col": 5, "border_mode": "valid"}
    assert evaluate("keras", "Convolution2D", params, [None, 10, 12, 3])["output_shape"] == [None, 8, 8, 64]


@pytest.mark.parametrize(
    "payload",
    [
        "__import__('os').system('touch {marker}')",
        "().__class__.__bases__[0].__subclasses__()",
        "exec(\"open('{marker}', 'w')\")",
        "eval(\"open('{marker}', 'w')\")",
        "(lambda: open('{marker}', 'w'))()",
    ],
)
def test_hostile_arguments_are_left_out_and_never_run(payload, tmp_path):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    code = f"layers.Dense({payload.format(marker=marker)})\nlayers.Dense(units={payload.format(marker=marker)})"
    parsed = parse_snippet(code, framework="keras")
    assert all(layer["params"] == {} for layer in parsed["layers"])
    assert parsed["notes"], "each unreadable argument is reported"
    assert not os.path.exists(marker)


def test_errors_are_shape_errors_with_a_field():
    with pytest.raises(ShapeError) as err:
        parse_snippet("def (")
    assert err.value.code == "invalid_snippet" and err.value.field == "code"
    with pytest.raises(ShapeError) as err:
        parse_snippet("x" * (MAX_SNIPPET_CHARS + 1))
    assert err.value.code == "snippet_too_long"
    with pytest.raises(ShapeError) as err:
        parse_snippet("print('hello')")
    assert err.value.code == "no_layers"


def test_deeply_nested_source_is_a_clean_error():
    with pytest.raises(ShapeError) as err:
        parse_snippet("layers.Dense(" + "[" * 5000 + "]" * 5000 + ")")
    assert err.value.code in ("invalid_snippet", "snippet_too_long")


def test_bidirectional_reads_nested_layers_positional_and_keyword():
    code = "layers.Bidirectional(layers.LSTM(8, return_sequences=True), backward_layer=layers.LSTM(8, go_backwards=True, return_sequences=True))"
    (layer,) = parse_snippet(code, framework="keras")["layers"]
    assert layer["layer"] == "Bidirectional"
    assert layer["params"]["layer"] == {"layer": "LSTM", "params": {"units": 8, "return_sequences": True}}
    assert layer["params"]["backward_layer"]["params"]["go_backwards"] is True
    result = evaluate("keras", "Bidirectional", layer["params"], [None, 5, 3])
    assert result["output_shape"] == [None, 5, 16]


@pytest.mark.parametrize(
    "code, inner, shape, expected",
    [
        (
            "x = layers.TimeDistributed(layers.Dense(8))(x)",
            {"layer": "Dense", "params": {"units": 8}},
            [None, 10, 16],
            [None, 10, 8],
        ),
        (
            "TimeDistributed(Conv2D(16, 3))",
            {"layer": "Conv2D", "params": {"filters": 16, "kernel_size": 3}},
            [None, 5, 8, 8, 3],
            [None, 5, 6, 6, 16],
        ),
        ("TimeDistributed(layer=Dense(8))", {"layer": "Dense", "params": {"units": 8}}, [None, 10, 16], [None, 10, 8]),
    ],
)
def test_time_distributed_reads_the_wrapped_layer(code, inner, shape, expected):
    (layer,) = parse_snippet(code, framework="keras")["layers"]
    assert layer["layer"] == "TimeDistributed"
    assert layer["params"] == {"layer": inner}
    assert evaluate("keras", "TimeDistributed", layer["params"], shape)["output_shape"] == expected


def test_time_distributed_nesting_and_input_shape():
    code = (
        "model = keras.Sequential([\n"
        "    layers.TimeDistributed(layers.Conv2D(8, (3, 3), activation='relu'), input_shape=(10, 32, 32, 3)),\n"
        "    layers.TimeDistributed(layers.TimeDistributed(layers.Dense(4))),\n"
        "    layers.TimeDistributed(layers.Bidirectional(layers.LSTM(4))),\n"
        "])\n"
    )
    parsed = parse_snippet(code)
    assert parsed["input_shape"] == [None, 10, 32, 32, 3]
    first, second, third = parsed["layers"]
    assert first["params"]["layer"] == {
        "layer": "Conv2D",
        "params": {"filters": 8, "kernel_size": [3, 3], "activation": "relu"},
    }
    assert second["params"]["layer"] == {
        "layer": "TimeDistributed",
        "params": {"layer": {"layer": "Dense", "params": {"units": 4}}},
    }
    assert third["params"]["layer"]["params"]["layer"] == {"layer": "LSTM", "params": {"units": 4}}
    shape = evaluate("keras", "TimeDistributed", first["params"], parsed["input_shape"])["output_shape"]
    assert shape == [None, 10, 30, 30, 8]
    assert evaluate("keras", "TimeDistributed", second["params"], shape)["output_shape"] == [None, 10, 30, 30, 4]


def test_wrapped_layer_the_engine_does_not_know_is_left_out_with_a_note():
    parsed = parse_snippet("layers.TimeDistributed(MyBlock(3))\nlayers.Dense(2)", framework="keras")
    assert [layer["layer"] for layer in parsed["layers"]] == ["TimeDistributed", "Dense"]
    assert parsed["layers"][0]["params"] == {}
    assert any("MyBlock" in note for note in parsed["notes"])
