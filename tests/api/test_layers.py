"""GET /api/v1/layers and /api/v1/layers/<framework>/<name>: the reference, from the engine and the DB."""

from __future__ import annotations

import engine
from tests.api.helpers import assert_problem


def test_every_layer_the_engine_knows(api):
    r = api.get("/api/v1/layers")
    assert r.status_code == 200
    body = r.get_json()
    keys = [item["key"] for item in body["layers"]]
    assert keys == [spec.key for spec in engine.layers()]
    assert body["total"] == len(keys)
    assert {"keras/Conv1D", "keras/Dense", "pytorch/Conv2d", "pytorch/Linear"} <= set(keys)
    item = next(i for i in body["layers"] if i["key"] == "keras/Conv1D")
    assert item["url"] == "/api/v1/layers/keras/Conv1D"
    assert "Convolution1D" in item["aliases"]


def test_filter_by_framework(api):
    for name, canonical in (("keras", "keras"), ("pytorch", "pytorch"), ("torch", "pytorch"), ("Keras", "keras")):
        body = api.get(f"/api/v1/layers?framework={name}").get_json()
        assert body["layers"] and {i["framework"] for i in body["layers"]} == {canonical}
        assert body["total"] == len(engine.layers(canonical))


def test_unknown_framework_filter(api):
    assert_problem(api.get("/api/v1/layers?framework=caffe"), 422, "unknown_framework", "framework")


def test_layer_detail(api):
    r = api.get("/api/v1/layers/keras/Conv1D")
    assert r.status_code == 200
    body = r.get_json()
    assert body["framework"] == "keras" and body["name"] == "Conv1D"
    params = {p["name"]: p for p in body["params"]}
    assert list(params)[:2] == ["filters", "kernel_size"]
    assert params["padding"]["default"] == "valid"
    assert params["filters"]["required"] is True
    assert all({"name", "type", "default", "meaning"} <= set(p) for p in body["params"])
    shape, count = body["formulas"]["output_shape"], body["formulas"]["param_count"]
    assert shape and count
    assert all(f["text"].startswith("L_out") for f in shape)
    assert all(f["text"].startswith("P =") for f in count)
    assert all({"text", "latex", "mathml"} <= set(f) for f in shape + count)
    assert body["equivalent"] == {"framework": "pytorch", "name": "Conv1d", "url": "/api/v1/layers/pytorch/Conv1d"}
    slugs = [q["slug"] for q in body["questions"]]
    assert slugs == ["keras-conv1d-same-padding"]
    assert body["questions"][0]["url"].endswith("/questions/keras-conv1d-same-padding")


def test_layer_by_alias_any_case(api):
    for name in ("Convolution1D", "conv1d", "layers.Conv1D"):
        body = api.get(f"/api/v1/layers/keras/{name}").get_json()
        assert body["name"] == "Conv1D"
    assert api.get("/api/v1/layers/torch/nn.Conv2d").get_json()["key"] == "pytorch/Conv2d"


def test_questions_linked_by_layer_or_formula(api):
    slugs = [q["slug"] for q in api.get("/api/v1/layers/pytorch/Linear").get_json()["questions"]]
    assert slugs == ["dense-parameter-count"]
    slugs = [q["slug"] for q in api.get("/api/v1/layers/pytorch/Conv2d").get_json()["questions"]]
    assert slugs == ["conv2d-channels-first"]


def test_unknown_layer_or_framework_is_404(api):
    body = assert_problem(api.get("/api/v1/layers/keras/Conv2d_typo"), 404, "unknown_layer", "layer")
    assert "Conv2D" in body["detail"]  # did you mean ...
    assert_problem(api.get("/api/v1/layers/caffe/Conv1D"), 404, "unknown_framework", "framework")
    assert_problem(api.get("/api/v1/layers/keras"), 404, "not_found")
    assert_problem(api.get("/api/v1/layers/keras/Conv1D/extra"), 404, "not_found")
