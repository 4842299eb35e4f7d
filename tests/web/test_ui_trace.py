"""The tracer (/trace): the table of layers, the trace, the first misfit, pasted snippets, the JSON twin."""

from __future__ import annotations

from kb import components
from tests.web.pagetools import Page, trace_example_slugs

GAN = "keras-gan-generator-shapes"


def _rows(data):
    return [(r["layer"], r["status"], r["output_shape"]) for r in data["rows"]]


def test_empty_tracer_has_one_row_and_the_seed_examples(client):
    r = client.get("/trace")
    assert r.status_code == 200
    data = client.get("/trace.json").get_json()
    assert len(data["rows"]) == 1 and data["rows"][0]["status"] == "empty"
    assert data["result"] is None and data["error"] is None
    assert [e["slug"] for e in data["examples"]] == trace_example_slugs()
    assert trace_example_slugs().count(GAN) == 2  # the seed's GAN generator, among the content's stacks
    html = r.get_data(as_text=True)
    assert f'href="/trace?example={GAN}:1"' in html
    # Labelled inputs, the layer names offered per framework.
    assert '<label for="t-input">' in html and '<label class="visually-hidden" for="l-0" data-for="l">' in html
    assert '<datalist id="layers-keras">' in html and '<option value="Conv2DTranspose">' in html


def test_the_gan_generator_is_one_click_away(client):
    data = client.get(f"/trace.json?example={GAN}").get_json()
    assert data["example"] == "The generator, layer by layer"
    assert data["result"]["output_shape"] == [None, 32, 32, 3]
    assert data["result"]["total_params"] == 6264579
    assert [r["param_count"] for r in data["rows"]] == [
        1081344,
        0,
        0,
        819456,
        0,
        1048832,
        0,
        1638656,
        0,
        1638656,
        0,
        37635,
    ]
    assert all(r["status"] == "ok" for r in data["rows"])
    html = client.get(f"/trace?example={GAN}").get_data(as_text=True)
    assert "(None, 32, 32, 3)" in html and "6,264,579" in html
    # The permalink spells the whole table out in the query string, and gives the same trace.
    permalink = data["links"]["json"]
    again = client.get(permalink).get_json()
    assert again["result"] == data["result"]
    assert _rows(again) == _rows(data)


def test_the_first_misfit_is_marked_with_the_reason(client):
    query = {
        "framework": "keras",
        "input_shape": "None, 32",
        "layer": ["Dense", "Conv2D", "Dense"],
        "params": ["units=64", "filters=8, kernel_size=3", "units=2"],
    }
    data = client.get("/trace.json", query_string=query).get_json()
    assert data["result"] is None
    assert data["error"]["layer_index"] == 1 and data["error"]["row"] == 1
    assert "rank" in data["error"]["reason"]
    assert [r["status"] for r in data["rows"]] == ["ok", "error", "skipped"]
    assert data["rows"][0]["output_shape"] == [None, 64]
    html = client.get("/trace", query_string=query).get_data(as_text=True)
    assert 'class="row-error" data-row aria-invalid="true"' in html
    assert "Layer 1 does not fit:" in html and "not reached" in html


def test_rows_that_cannot_be_read(client):
    query = {
        "input_shape": "None, 8",
        "layer": ["Dense", "Dense", "Nope"],
        "params": ["units=4", "units=lambda: 3", ""],
    }
    data = client.get("/trace.json", query_string=query).get_json()
    assert [r["status"] for r in data["rows"]] == ["ok", "error", "skipped"]
    assert data["rows"][1]["error"]["field"] == "params"
    assert "not a literal" in data["rows"][1]["error"]["message"]
    assert data["error"]["code"] == "invalid_layer" and data["error"]["row"] == 1
    r = client.get("/trace", query_string=query)
    assert r.status_code == 200  # an answer about the table, shown in it
    # An unknown layer name says what it might be.
    data = client.get("/trace.json", query_string={"input_shape": "None, 8", "layer": "Dens"}).get_json()
    assert "did you mean Dense" in data["rows"][0]["error"]["message"]


def test_parameters_are_read_as_literals_never_run():
    spec, params = components.parse_row("keras", "Reshape", "target_shape=(16, 16, 128)")
    assert spec.name == "Reshape" and params == {"target_shape": [16, 16, 128]}
    assert components.parse_row("keras", "layers.Dense", "64, activation='relu'")[1] == {
        "units": 64,
        "activation": "relu",
    }
    assert components.parse_row("keras", "Bidirectional", "LSTM(16)")[1] == {
        "layer": {"layer": "LSTM", "params": {"units": 16}}
    }
    assert components.parse_row("pytorch", "Conv2d", "3, 16, 3, padding=1")[1] == {
        "in_channels": 3,
        "out_channels": 16,
        "kernel_size": 3,
        "padding": 1,
    }
    for text in (
        "__import__('os').system('echo hi')",
        "units=open('/etc/passwd')",
        "1), Dense(2",
        "units=64\n)\nDense(3",
    ):
        try:
            components.parse_row("keras", "Dense", text)
        except components.RowError as err:
            assert err.field == "params"
        else:
            raise AssertionError(text)


def test_add_and_remove_rows_without_javascript(client):
    base = {"input_shape": "None, 8", "layer": ["Dense", "Dense"], "params": ["units=4", "units=2"]}
    data = client.get("/trace.json", query_string={**base, "add": "1"}).get_json()
    assert [r["layer"] for r in data["rows"]] == ["Dense", "Dense", ""]
    assert data["result"]["output_shape"] == [None, 2]
    data = client.get("/trace.json", query_string={**base, "remove": "0"}).get_json()
    assert [r["params"] for r in data["rows"]] == ["units=2"]
    assert data["result"]["output_shape"] == [None, 2]


def test_a_pasted_snippet_fills_the_table(client):
    code = "\n".join(
        [
            "model = keras.Sequential()",
            "model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))",
            "model.add(layers.MaxPooling2D((2, 2)))",
            "model.add(layers.Flatten())",
            "model.add(layers.Dense(10, activation=make_activation()))",
        ]
    )
    r = client.post("/trace", data={"snippet": code})
    assert r.status_code == 200
    data = client.post("/trace.json", data={"snippet": code}).get_json()
    assert data["framework"] == "keras" and data["input_shape"] == "None, 28, 28, 1"
    assert [row["layer"] for row in data["rows"]] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert data["result"]["output_shape"] == [None, 10]
    assert any("activation" in note for note in data["snippet"]["notes"])
    page = Page(r.get_data(as_text=True))
    assert page.inputs["input_shape"]["value"] == "None, 28, 28, 1"
    # A permalink to the filled table (GET), and the code kept in its box.
    assert "/trace?framework=keras&amp;input_shape=None%2C+28%2C+28%2C+1&amp;layer=Conv2D" in page.html
    assert "model.add(layers.MaxPooling2D((2, 2)))" in page.html


def test_snippets_with_no_shape_bad_syntax_or_hostile_text(client):
    data = client.post("/trace.json", data={"snippet": "nn.Linear(4, 2)\nnn.ReLU()"}).get_json()
    assert data["framework"] == "pytorch" and data["result"] is None
    assert any("no input shape" in n for n in data["notes"])
    data = client.post("/trace.json", data={"snippet": "nn.Linear(4, 2)", "input_shape": "8, 4"}).get_json()
    assert data["result"]["output_shape"] == [8, 2]
    evil = "</script><script>alert(1)</script>"
    r = client.post("/trace", data={"snippet": evil})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert evil not in html and "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "snippet is not valid Python" in html


def test_hostile_table_values_are_escaped(client):
    evil = "<img src=x onerror=alert(1)>"
    r = client.get("/trace", query_string={"input_shape": "None, 8", "layer": evil, "params": evil})
    html = r.get_data(as_text=True)
    assert evil not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 2


def test_bad_input_shape_and_framework(client):
    r = client.get("/trace", query_string={"input_shape": "None, (3", "layer": "Dense", "params": "units=2"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert 'id="t-input-error" data-error-for="input_shape">input_shape:' in html
    data = client.get(
        "/trace.json", query_string={"framework": "jax", "input_shape": "None, 8", "layer": "Dense"}
    ).get_json()
    assert data["error"]["field"] == "framework" and data["framework"] == "keras"
