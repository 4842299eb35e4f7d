"""/solve and its JSON twin, and the "work backwards" panel of layer and answer pages (pairs: HTML and JSON)."""

from __future__ import annotations

from pathlib import Path

import engine

GAN = "keras-gan-generator-shapes"
TO_7 = "framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,7&params=in_channels%3D3,out_channels%3D8"


def test_empty_page_answers_the_gan_question(client):
    r = client.get("/solve")
    assert r.status_code == 200
    data = client.get("/solve.json").get_json()
    assert data["fields"]["layer"] == "Conv2DTranspose"
    assert data["result"]["total"] == 1
    assert data["result"]["solutions"][0]["params"]["strides"] == 2
    html = r.get_data(as_text=True)
    assert "Conv2DTranspose(filters=256, kernel_size=4, strides=2" in html
    assert '<label for="s-output_size">' in html


def test_page_and_twin_give_the_engine_answer(client):
    r = client.get(f"/solve?{TO_7}")
    data = client.get(f"/solve.json?{TO_7}").get_json()
    assert r.status_code == 200
    want = engine.solve(
        "pytorch", "Conv2d", [1, 3, 28, 28], [7, 7], params={"in_channels": 3, "out_channels": 8}, limit=50
    )
    assert data["result"] == want
    html = r.get_data(as_text=True)
    assert f"{want['total']:,} settings within the bounds give 7×7" in html
    assert data["rows"][0]["call"] in html.replace("&#39;", "'")


def test_unreachable_shows_nearest_and_the_fix(client):
    query = "framework=keras&layer=Conv2DTranspose&input_shape=None,46,62,8&output_size=368,489&params=kernel_size%3D8,strides%3D8"
    data = client.get(f"/solve.json?{query}").get_json()
    assert data["result"]["total"] == 0
    assert [n["output_size"] for n in data["result"]["nearest"][:2]] == [[367, 489], [368, 496]]
    html = client.get(f"/solve?{query}").get_data(as_text=True)
    assert "No setting within the bounds gives 368×489" in html and "Cropping2D" in html


def test_bad_fields_are_400_next_to_the_field(client):
    for query, field in (
        ("framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,(", "output_size"),
        ("framework=pytorch&layer=Linear&input_shape=1,3&output_size=7", "layer"),
        ("framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,7&bounds=stride%3D[0,%202]", "bounds"),
        ("framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,7&limit=x", "limit"),
        ("framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,7&bounds=stride%3D(", "bounds"),
        ("framework=pytorch&layer=Conv2d&input_shape=1,3,28,28&output_size=7,7&params=stride%3D(", "params"),
    ):
        r = client.get(f"/solve.json?{query}")
        assert r.status_code == 400, query
        assert r.get_json()["error"]["field"] == field, (query, r.get_json()["error"])
        page = client.get(f"/solve?{query}")
        assert page.status_code == 400


def test_layer_pages_have_the_panel_when_the_layer_is_solvable(client):
    data = client.get("/layers/pytorch/ConvTranspose2d.json").get_json()
    assert data["solver"]["fields"]["layer"] == "ConvTranspose2d"
    assert data["solver"]["result"]["total"] >= 1
    html = client.get("/layers/pytorch/ConvTranspose2d").get_data(as_text=True)
    assert 'id="solve-h">Work backwards' in html
    assert data["solver"]["url"].startswith("/solve?framework=pytorch&layer=ConvTranspose2d")
    # the panel adds no form fields: the page's evaluator keeps its field names to itself
    assert html.count('name="input_shape"') == 1
    for framework, name in (("keras", "MaxPooling1D"), ("keras", "Conv3D"), ("pytorch", "AvgPool2d")):
        assert client.get(f"/layers/{framework}/{name}.json").get_json()["solver"] is not None, name
    assert client.get("/layers/keras/Dense.json").get_json()["solver"] is None
    assert "Work backwards" not in client.get("/layers/keras/Dense").get_data(as_text=True)


def test_gan_answer_page_shows_why_16x16(client):
    data = client.get(f"/questions/{GAN}.json").get_json()
    solver = data["solver"]
    assert solver["fields"]["output_size"] == "32, 32"
    assert solver["result"]["total"] == 1
    only = solver["result"]["solutions"][0]["params"]
    assert (only["strides"], only["padding"], only["output_padding"]) == (2, "same", None)
    html = client.get(f"/questions/{GAN}").get_data(as_text=True)
    assert "Work backwards" in html and "1 setting within the bounds gives 32×32" in html


UNET = (Path(__file__).parents[1] / "engine" / "solve_models" / "unet_torch.txt").read_text()


def test_stack_form_reads_a_unet(client):
    form = {"framework": "pytorch", "code": UNET, "input_shape": "1, 1, H, H"}
    data = client.post("/solve.json", data=form).get_json()
    assert data["stack"]["error"] is None
    assert data["stack"]["result"]["rule"] == "H divisible by 16 (H = 16k, k >= 1)"
    r = client.post("/solve", data=form)
    assert r.status_code == 200
    assert "H divisible by 16 (H = 16k, k &gt;= 1)" in r.get_data(as_text=True)


def test_stack_form_errors_are_400_next_to_the_field(client):
    form = {"framework": "pytorch", "code": UNET, "input_shape": "1, 1, 28, 28"}
    r = client.post("/solve.json", data=form)
    assert r.status_code == 400 and r.get_json()["stack"]["error"]["field"] == "input_shape"
    assert client.post("/solve", data=form).status_code == 400
    broken = {"framework": "pytorch", "code": "model = (", "input_shape": "1, 1, H, H"}
    r = client.post("/solve.json", data=broken)
    assert r.status_code == 400 and r.get_json()["stack"]["error"]["field"] == "code"


def test_answer_pages_about_a_solvable_layer_have_the_panel(client):
    """TimeDistributed(Dense) is the evaluator there, but the question is also about Conv2D: its panel."""
    data = client.get("/questions/keras-timedistributed-shapes.json").get_json()
    assert data["solver"]["fields"]["layer"] == "Conv2D"
    assert client.get("/questions/lstm-input-shape-timesteps-features.json").get_json()["solver"] is None
    html = client.get("/questions/keras-timedistributed-shapes").get_data(as_text=True)
    assert 'id="solve-h">Work backwards' in html
