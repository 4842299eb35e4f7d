"""POST /api/v1/solve: the settings of one layer that give a wanted size, or the input sizes a stack accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from tests.api.helpers import assert_problem

URL = "/api/v1/solve"
GAN = {
    "framework": "keras",
    "layer": "Conv2DTranspose",
    "input_shape": [None, 16, 16, 256],
    "output_size": [32, 32],
    "params": {"filters": 256, "kernel_size": 4},
}


def test_solve_answers_what_the_engine_answers(api):
    r = api.post(URL, json={**GAN, "limit": 5})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body == engine.solve(**{**GAN, "limit": 5})
    assert set(body) >= {"solutions", "total", "exhaustive", "nearest"}
    # With the kernel of 4 held, one setting in the default bounds doubles 16: strides 2, 'same', no output_padding.
    assert len(body["solutions"]) == body["total"] == 1 and body["exhaustive"] is True
    for solution in body["solutions"]:
        assert set(solution) == {"params", "output_shape", "param_count"}
        assert solution["output_shape"] == [None, 32, 32, 256]
        assert set(solution["params"]) >= {"kernel_size", "strides", "padding", "output_padding", "dilation_rate"}


def test_bounds_lists_and_ranges(api):
    body = {**GAN, "bounds": {"padding": ["same"], "output_padding": [None], "strides": [1, 4]}}
    r = api.post(URL, json=body)
    assert r.status_code == 200
    solutions = r.get_json()["solutions"]
    assert [s["params"]["strides"] for s in solutions] == [2]
    assert solutions[0]["params"]["padding"] == "same" and solutions[0]["params"]["output_padding"] is None


def test_unreachable_target_gets_nearest(api):
    body = {
        "framework": "keras",
        "layer": "Conv2DTranspose",
        "input_shape": [None, 46, 62, 8],
        "output_size": [368, 489],
        "params": {"kernel_size": 8, "strides": 8},
    }
    r = api.post(URL, json=body)
    assert r.status_code == 200
    answer = r.get_json()
    assert answer["total"] == 0 and answer["solutions"] == []
    assert [n["output_size"] for n in answer["nearest"][:2]] == [[367, 489], [368, 496]]


def test_stack_input_sizes(api):
    body = {
        "framework": "pytorch",
        "input_shape": [1, 3, "H", "H"],
        "layers": [
            {"layer": "Conv2d", "params": {"in_channels": 3, "out_channels": 8, "kernel_size": 3}},
            {"layer": "MaxPool2d", "params": {"kernel_size": 2}},
            {"layer": "Flatten"},
            {"layer": "Linear", "params": {"in_features": 8 * 13 * 13, "out_features": 10}},
        ],
        "max_size": 64,
    }
    r = api.post(URL, json=body)
    assert r.status_code == 200, r.get_json()
    answer = r.get_json()
    assert answer["rule"] == "28 <= H <= 29"
    assert answer["symbols"][0]["first"] == [28, 29]


@pytest.mark.parametrize(
    "change,status,field",
    [
        ({"output_size": None}, 400, "output_size"),
        ({"output_size": [32, "x"]}, 400, "output_size[1]"),
        ({"bounds": {"strides": 3}}, 400, "bounds.strides"),
        ({"bounds": {"strides": [0, 3]}}, 422, "bounds.strides"),
        ({"bounds": {"filters": [1, 3]}}, 422, "bounds.filters"),
        ({"limit": 5000}, 400, "limit"),
        ({"layer": "Dense"}, 422, "layer"),
        ({"layers": []}, 400, "layers"),
        ({"max_size": 10}, 400, "max_size"),
        ({"bogus": 1}, 400, "bogus"),
    ],
)
def test_bad_requests_name_the_field(api, change, status, field):
    body = {**GAN, **change}
    body = {k: v for k, v in body.items() if v is not None or k != "output_size"}
    r = api.post(URL, json=body)
    assert_problem(r, status, field=field)


def test_wide_bounds_stay_bounded(api):
    body = {
        "framework": "pytorch",
        "layer": "Conv2d",
        "input_shape": [1, 3, 224, 224],
        "output_size": [112, 112],
        "bounds": {"kernel_size": [1, 64], "stride": [1, 64], "padding": [0, 64], "dilation": [1, 64]},
        "limit": 1000,
    }
    r = api.post(URL, json=body)
    assert r.status_code == 200
    answer = r.get_json()
    assert len(answer["solutions"]) == 1000 and answer["total"] > 1000


def test_stack_code_through_the_graph_reader(api):
    unet = (Path(__file__).parents[1] / "engine" / "solve_models" / "unet_torch.txt").read_text()
    body = {"framework": "pytorch", "code": unet, "input_shape": [1, 1, "H", "W"], "max_size": 64}
    r = api.post(URL, json=body)
    assert r.status_code == 200, r.get_json()
    answer = r.get_json()
    assert [s["rule"] for s in answer["symbols"]] == [
        "H divisible by 16 (H = 16k, k >= 1)",
        "W divisible by 16 (W = 16k, k >= 1)",
    ]
    assert answer["symbols"][0]["first"] == [16, 32, 48, 64]


def test_stack_code_that_cannot_be_read_is_422(api):
    r = api.post(URL, json={"framework": "pytorch", "code": "model = (", "input_shape": [1, 1, "H", "W"]})
    assert_problem(r, 422, field="code")
