"""engine.solve_input_sizes: which input sizes a stack accepts, checked against the forward engine and PyTorch."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine import ShapeError

GAN_CONVS = [
    {"layer": "Conv2D", "params": {"filters": 256, "kernel_size": 5, "padding": "same"}},
    {"layer": "Conv2DTranspose", "params": {"filters": 256, "kernel_size": 4, "strides": 2, "padding": "same"}},
    {"layer": "Conv2D", "params": {"filters": 256, "kernel_size": 5, "padding": "same"}},
    {"layer": "Conv2D", "params": {"filters": 256, "kernel_size": 5, "padding": "same"}},
    {"layer": "Conv2D", "params": {"filters": 3, "kernel_size": 7, "padding": "same", "activation": "tanh"}},
]


def test_gan_generator_starts_at_16_for_a_32x32_image():
    """The seed's 'why 16x16', as the GAN entry tells it: only 16 gives 32 through the generator's convolutions."""
    answer = engine.solve_input_sizes(
        "keras", layers=GAN_CONVS, input_shape=[None, "H", "W", 128], output_size=[32, 32]
    )
    assert answer["rule"] == "H = 16; W = 16"
    assert answer["closed_form"] == [None, "2*H", "2*W", 3]
    assert answer["exhaustive"]


def test_gan_entry_claims_from_8x8():
    """The entry says: from 8x8 three settings with kernel 4 reach 32x32, all with strides=4."""
    answer = engine.solve(
        "keras", "Conv2DTranspose", [None, 8, 8, 256], [32, 32], params={"filters": 256, "kernel_size": 4}
    )
    assert answer["total"] == 3 and {s["params"]["strides"] for s in answer["solutions"]} == {4}


def test_classifier_head_fixes_a_range():
    layers = [
        {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 8, "kernel_size": 3}},
        {"layer": "MaxPool2d", "params": {"kernel_size": 2}},
        {"layer": "Flatten"},
        {"layer": "Linear", "params": {"in_features": 8 * 13 * 13, "out_features": 10}},
    ]
    answer = engine.solve_input_sizes("pytorch", layers=layers, input_shape=[1, 3, "H", "H"], max_size=64)
    assert answer["rule"] == "28 <= H <= 29"


def test_pixel_unshuffle_needs_a_multiple():
    alone = [{"layer": "PixelUnshuffle", "params": {"downscale_factor": 4}}]
    answer = engine.solve_input_sizes("pytorch", layers=alone, input_shape=[1, 3, "H", 8])
    assert answer["rule"] == "H divisible by 4 (H = 4k, k >= 1)"
    assert answer["symbols"][0]["first"][:3] == [4, 8, 12]
    after_conv = [
        {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": 2}},
        *alone,
    ]
    answer = engine.solve_input_sizes("pytorch", layers=after_conv, input_shape=[1, 3, "H", "H"])
    assert answer["rule"] == "H mod 8 in {1, 2}, H >= 9"


def test_encoder_accepts_every_size_from_a_minimum():
    layers = []
    for n in range(4):
        layers += [
            {"layer": "Conv2d", "params": {"in_channels": 3 if n == 0 else 8, "out_channels": 8, "kernel_size": 3}},
            {"layer": "MaxPool2d", "params": {"kernel_size": 2}},
        ]
    answer = engine.solve_input_sizes("pytorch", layers=layers, input_shape=[1, 3, "H", "W"])
    assert answer["rule"] == "H >= 46; W >= 46"


def test_every_reported_size_runs_in_pytorch(rng, torch):
    """The rule's sizes pass the real layers, and the sizes just below the first one fail there too."""
    layers = [
        {
            "layer": "Conv2d",
            "params": {
                "in_channels": 1,
                "out_channels": 2,
                "kernel_size": rng.randint(1, 5),
                "stride": rng.randint(1, 3),
            },
        },
        {"layer": "PixelUnshuffle", "params": {"downscale_factor": rng.randint(2, 3)}},
    ]
    answer = engine.solve_input_sizes("pytorch", layers=layers, input_shape=[1, 1, "H", "H"], max_size=96)
    model = torch.nn.Sequential(torch.nn.Conv2d(**layers[0]["params"]), torch.nn.PixelUnshuffle(**layers[1]["params"]))
    accepted = set(answer["symbols"][0]["first"])
    for h in range(1, 60):
        try:
            with torch.no_grad():
                model(torch.zeros(1, 1, h, h))
            ok = True
        except RuntimeError:
            ok = False
        if h <= max(accepted):
            assert ok == (h in accepted), (layers, h)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"input_shape": [1, 3, 28, 28]}, "input_shape"),
        ({"max_size": 0}, "max_size"),
        (
            {"layers": [{"layer": "Flatten"}, {"layer": "Linear", "params": {"in_features": 5, "out_features": 2}}]},
            "layers[1].input_shape[1]",
        ),
    ],
)
def test_bad_requests_name_the_field(kwargs, field):
    request = {"framework": "pytorch", "layers": [{"layer": "Flatten"}], "input_shape": [1, 3, "H", "W"]}
    request.update(kwargs)
    with pytest.raises(ShapeError) as info:
        engine.solve_input_sizes(**request)
    assert info.value.field == field


UNET = (Path(__file__).parent / "solve_models" / "unet_torch.txt").read_text()


def test_unet_code_needs_a_multiple_of_16_and_pytorch_agrees(torch):
    """Read with the graph reader (never run by the engine); the rule is checked by running our own model file."""
    answer = engine.solve_input_sizes("pytorch", code=UNET, input_shape=[1, 1, "H", "W"], max_size=128)
    assert answer["rule"] == "H divisible by 16 (H = 16k, k >= 1); W divisible by 16 (W = 16k, k >= 1)"
    namespace: dict = {}
    exec(compile(UNET, "unet_torch.txt", "exec"), namespace)  # noqa: S102 - our own test model, not user input
    model = namespace["model"].eval()
    for h in range(8, 50):
        try:
            with torch.no_grad():
                out = model(torch.zeros(1, 1, h, 32))
            ok = True
        except RuntimeError:
            ok = False
        assert ok == (h % 16 == 0), h
        if ok:
            assert list(out.shape) == [1, 2, h, 32]


KERAS_UNET = (Path(__file__).parent / "solve_models" / "unet_keras.txt").read_text()


def test_keras_unet_code_needs_a_multiple_of_16_and_keras_agrees(keras):
    answer = engine.solve_input_sizes("keras", code=KERAS_UNET, input_shape=[None, "H", 32, 1], max_size=64)
    assert answer["rule"] == "H divisible by 16 (H = 16k, k >= 1)"
    for h, ok in ((32, True), (40, False)):
        namespace: dict = {}
        source = KERAS_UNET.replace("shape=(128, 128, 1)", f"shape=({h}, 32, 1)")
        try:
            exec(compile(source, "unet_keras.txt", "exec"), namespace)  # noqa: S102 - our own test model
            built = True
        except ValueError:  # Concatenate refuses the skip of another height
            built = False
        assert built == ok, h
