"""The tracer's "paste your model" mode: the graph summary, its diagram, the misfit with its line, the
questions a model asks (needs_value), without JavaScript; the .json twin from the same dict.

The browser side is in tests/browser/test_model.py; the API side in tests/api/test_trace_code.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import engine
from kb import graph_svg
from kb.trace_page import bytes_text

# pytorch/examples mnist/main.py, the Net class, as a user pastes it.
MNIST = """import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)
"""

# keras.io "The Functional API" guide, a toy ResNet block: a residual add, two branches joining.
RESIDUAL = """from keras import Input, Model, layers

inputs = Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.GlobalAveragePooling2D()(block_2_output)
outputs = layers.Dense(10)(x)
model = Model(inputs, outputs, name="toy_resnet")
"""

NEEDS_VALUE = """from keras import Sequential, layers
model = Sequential([
    layers.Input(shape=(x_train.shape[1],)),
    layers.Dense(64, activation='relu'),
    layers.Dense(10),
])
"""


def _model(client, **form):
    r = client.post("/trace.json", data=form)
    return r, r.get_json()["model"]


def test_a_pasted_module_is_summarised_like_model_summary(client):
    r, model = _model(client, code=MNIST, model_input="1, 1, 28, 28")
    assert r.status_code == 200 and model["error"] is None
    result = model["result"]
    assert result == engine.trace_code(MNIST, input_shape=[1, 1, 28, 28])
    # One summary row per input and node: name, type, connected to, output shape, params, MACs, line.
    assert [row["name"] for row in model["rows"]] == ["x", *(s["name"] for s in result["layers"])]
    fc1 = next(row for row in model["rows"] if row["name"] == "fc1")
    assert fc1["layer"] == "Linear" and fc1["url"] == "/layers/pytorch/Linear" and fc1["line"] == 20
    assert fc1["output_shapes"] == [[1, 128]] and fc1["param_count"] == 9216 * 128 + 128
    assert fc1["inputs"] and fc1["macs"] == result["layers"][[s["name"] for s in result["layers"]].index("fc1")]["macs"]
    assert model["sizes"] == {
        "params": bytes_text(result["param_bytes"]),
        "activations": bytes_text(result["activation_bytes"]),
    }
    assert result["total_params"] == 1_199_882
    # The HTML shows the same dict: the table, the totals, the diagram, each row linked to its layer's page.
    html = client.post("/trace", data={"code": MNIST, "model_input": "1, 1, 28, 28"}).get_data(as_text=True)
    assert "1,199,882" in html and '<a href="/layers/pytorch/Conv2d">Conv2d</a>' in html
    assert html.count("data-node-row") == len(model["rows"])
    assert f"{result['total_macs']:,}" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="graph-diagram"' in html
    assert "4.80 MB (4,799,528 bytes)" in html  # 1,199,882 float32 parameters


def test_a_functional_graph_draws_its_branches(client):
    r, model = _model(client, code=RESIDUAL)
    assert r.status_code == 200 and model["error"] is None
    result = model["result"]
    assert result["output_shape"] == [None, 10]
    add = next(s for s in result["layers"] if s["layer"].lower() in ("add", "add_op"))
    assert len(add["inputs"]) == 2
    svg = ET.fromstring(model["diagram"])
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in svg.iter(f"{ns}g") if "node" in g.get("class", "").split()]
    assert len(nodes) == len(result["inputs"]) + len(result["layers"])
    edges = [p for p in svg.iter(f"{ns}path") if p.get("class", "").startswith("edge")]
    assert len(edges) == sum(len(s["inputs"]) for s in result["layers"])
    # The skip connection goes round the rows it passes, not through their boxes.
    assert len([p for p in edges if "edge-skip" in p.get("class")]) == 1
    # The add sits one row below the lower of its two inputs; both branches point to it.
    boxes = {b.key: b for b in graph_svg.boxes_of(result)}
    graph_svg.layout(list(boxes.values()))
    parents = [boxes[p] for p in boxes[add["name"]].parents]
    assert boxes[add["name"]].rank == max(p.rank for p in parents) + 1
    links = [a.get("href") for a in svg.iter(f"{ns}a")]
    assert "/layers/keras/Conv2D" in links and "/layers/keras/Dense" in links


def test_the_node_that_does_not_fit_is_marked_with_its_line(client):
    broken = MNIST.replace("nn.Linear(9216, 128)", "nn.Linear(9000, 128)")
    r, model = _model(client, code=broken, model_input="1, 1, 28, 28")
    assert r.status_code == 200  # an answer: where the model stops, and why
    error = model["error"]
    assert error["line"] == 20 and error["code_line"] == "        x = F.relu(self.fc1(x))"
    assert error["node"]["name"] == "fc1" and error["node"]["layer"] == "Linear"
    assert "9216" in error["message"] and model["result"] is None
    html = client.post("/trace", data={"code": broken, "model_input": "1, 1, 28, 28"}).get_data(as_text=True)
    assert "<strong data-failing-node>fc1</strong>" in html
    assert re.search(r'<pre class="code-line" data-code-line><span class="line-number">20</span> +x = F.relu', html)


def test_the_nodes_before_the_misfit_keep_their_shapes(client):
    """The summary up to the node that does not fit, on the page and in its twin, from the engine's partial trace."""
    form = {"code": MNIST, "model_input": "64, 1, 32, 32"}  # an input 4 pixels larger than the model was written for
    r, model = _model(client, **form)
    assert r.status_code == 200 and model["result"] is None and model["error"]["node"]["name"] == "fc1"
    names = [row["name"] for row in model["rows"]]
    assert names[:3] == ["x", "conv1", "relu"] and names[-1] == "flatten" and "fc1" not in names
    shapes = {row["name"]: row["output_shapes"][0] for row in model["rows"]}
    truth = engine.evaluate(
        "pytorch", "Conv2d", {"in_channels": 1, "out_channels": 32, "kernel_size": 3}, [64, 1, 32, 32]
    )
    assert shapes["conv1"] == truth["output_shape"] == [64, 32, 30, 30]
    assert shapes["flatten"] == [64, 12544] == model["error"]["node"]["input_shape"]
    html = client.post("/trace", data=form).get_data(as_text=True)
    table = html.split("data-partial-table", 1)[1].split("</table>", 1)[0]
    assert "<code>flatten</code>" in table and "(64, 12544)" in table and "data-misfit-row" in table


def test_a_value_from_the_data_becomes_a_field_to_fill(client):
    r, model = _model(client, code=NEEDS_VALUE)
    assert r.status_code == 200
    assert model["error"]["code"] == "needs_value"
    assert model["question"] == {
        "expression": "x_train.shape[1]",
        "line": 3,
        "code_line": "    layers.Input(shape=(x_train.shape[1],)),",
    }
    assert model["values"] == [{"expression": "x_train.shape[1]", "value": "", "error": None}]
    html = client.post("/trace", data={"code": NEEDS_VALUE}).get_data(as_text=True)
    assert '<input type="hidden" name="value_expr" value="x_train.shape[1]">' in html
    assert 'name="value" value=""' in html and "data-asked" in html
    # Answered in the same form: the trace goes through.
    r, model = _model(client, code=NEEDS_VALUE, value_expr="x_train.shape[1]", value="784")
    assert model["error"] is None and model["result"]["output_shape"] == [None, 10]
    assert model["result"]["total_params"] == 784 * 64 + 64 + 650
    assert model["values"] == [{"expression": "x_train.shape[1]", "value": "784", "error": None}]


def test_the_input_shape_field_takes_one_or_several_shapes(client):
    _, model = _model(client, code=MNIST)
    assert model["error"]["code"] == "needs_input_shape" and model["error"]["field"] == "input_shape"
    multi = """import keras
from keras import layers
a = keras.Input(shape=(None,))
b = keras.Input(shape=(12,))
x = layers.Embedding(100, 8)(a)
x = layers.GlobalAveragePooling1D()(x)
out = layers.concatenate([x, b])
model = keras.Model([a, b], out)
"""
    _, model = _model(client, code=multi, model_input="None, 20; None, 12")
    assert model["error"] is None and model["result"]["output_shape"] == [None, 20]
    r, model = _model(client, code=MNIST, model_input="1, (2")
    assert r.status_code == 400 and model["error"]["field"] == "input_shape"


@pytest.mark.parametrize(
    "form, code",
    [
        ({"code": "   "}, "invalid_code"),
        ({"code": "#" + "x" * 20_001}, "code_too_long"),
        ({"code": "def f(:\n"}, "invalid_code"),
        ({"code": MNIST, "model_framework": "jax"}, "unknown_framework"),
        ({"code": NEEDS_VALUE, "value_expr": "x_train.shape[1]", "value": "(((("}, "invalid_value"),
    ],
)
def test_what_the_page_cannot_read_is_a_400(client, form, code):
    r, model = _model(client, **form)
    assert r.status_code == 400 and model["error"]["code"] == code
    assert model["error"]["message"]


def test_pasted_text_is_escaped_everywhere(client):
    evil = "<img src=x onerror=alert(1)>"
    code = f'import keras\nfrom keras import layers\ninputs = keras.Input(shape=(4,), name="{evil}")\n'
    code += 'outputs = layers.Dense(2, name="</text><script>alert(1)</script>")(inputs)\nmodel = keras.Model(inputs, outputs)\n'
    r = client.post("/trace", data={"code": code})
    html = r.get_data(as_text=True)
    assert evil not in html and "<script>alert(1)" not in html
    model = client.post("/trace.json", data={"code": code}).get_json()["model"]
    assert model["diagram"], model["error"]
    ET.fromstring(model["diagram"])  # still well-formed XML: every name escaped
    assert "<script>" not in model["diagram"] and "<img" not in model["diagram"]


def test_without_a_model_the_page_is_the_table(client):
    data = client.get("/trace.json").get_json()
    assert data["model"] is None
    html = client.get("/trace").get_data(as_text=True)
    assert '<textarea id="code" name="code"' in html and "data-model-result" not in html


def test_a_model_by_get_is_a_permalink(client):
    r = client.get("/trace.json", query_string={"code": NEEDS_VALUE, "value_expr": "x_train.shape[1]", "value": "10"})
    model = r.get_json()["model"]
    assert r.status_code == 200 and model["result"]["output_shape"] == [None, 10]
    # A posted model links to the same answer by GET; a long one has no permalink (it would not fit a URL).
    posted = client.post("/trace.json", data={"code": MNIST, "model_input": "1, 1, 28, 28"}).get_json()["model"]
    again = client.get(posted["links"]["json"]).get_json()["model"]
    assert again["result"] == posted["result"]
    assert client.get(posted["links"]["html"]).status_code == 200
    long_code = MNIST + "#" + "x" * 8000 + "\n"
    assert (
        client.post("/trace.json", data={"code": long_code, "model_input": "1, 1, 28, 28"}).get_json()["model"]["links"]
        is None
    )


def test_the_diagram_of_a_long_chain_and_of_many_branches_stays_bounded():
    chain = {
        "inputs": [{"name": "x", "shape": [None, 8]}],
        "layers": [
            {"name": f"d{n}", "layer": "Dense", "inputs": [f"d{n - 1}" if n else "x"], "output_shape": [None, 8]}
            for n in range(300)
        ],
        "outputs": [{"name": "d299", "shape": [None, 8]}],
    }
    svg = graph_svg.diagram(chain)
    root = ET.fromstring(svg)
    assert int(root.get("width")) < 400 and int(root.get("height")) == 12 * 2 + 301 * (46 + 34) - 34
    fan = {
        "inputs": [{"name": "x", "shape": [None, 8]}],
        "layers": [
            *({"name": f"b{n}", "layer": "Dense", "inputs": ["x"], "output_shape": [None, 8]} for n in range(50)),
            {
                "name": "cat",
                "layer": "Concatenate",
                "inputs": [f"b{n}" for n in range(50)],
                "output_shape": [None, 400],
            },
        ],
        "outputs": [{"name": "cat", "shape": [None, 400]}],
    }
    root = ET.fromstring(graph_svg.diagram(fan))
    assert int(root.get("height")) == 12 * 2 + 3 * (46 + 34) - 34
    assert len(svg) < 300 * 1200
    # Nodes are bounded by the engine, their inputs are not: past MAX_EDGES connections nothing is drawn.
    dense = {
        "inputs": fan["inputs"],
        "layers": [
            *fan["layers"][:50],
            *(
                {
                    "name": f"c{n}",
                    "layer": "Concatenate",
                    "inputs": [f"b{k}" for k in range(50)],
                    "output_shape": [None, 400],
                }
                for n in range(90)
            ),
        ],
        "outputs": [{"name": "c89", "shape": [None, 400]}],
    }
    assert graph_svg.connections(dense) == 50 + 90 * 50 > graph_svg.MAX_EDGES
    assert graph_svg.diagram(dense) is None


def test_a_graph_with_too_many_connections_is_listed_not_drawn(client):
    code = (
        "import keras\nfrom keras import layers\nx = keras.Input(shape=(8,))\n"
        "bs = [layers.Dense(4)(x) for i in range(50)]\ncs = [layers.concatenate(bs) for i in range(90)]\n"
        "model = keras.Model(x, cs)\n"
    )
    r, model = _model(client, code=code)
    assert r.status_code == 200 and model["diagram"] is None
    assert len(model["result"]["outputs"]) == 90
    html = client.post("/trace", data={"code": code}).get_data(as_text=True)
    assert "data-no-diagram" in html and "<svg" not in html.split('id="diagram-h"')[1]


GRAPH_MODELS = Path(__file__).resolve().parents[1] / "engine" / "graph_models"  # real models (sources there)
TORCH_INPUTS = {"torch_mnist.txt": "1, 1, 28, 28", "torch_resnet18.txt": "1, 3, 32, 32"}


@pytest.mark.parametrize(
    "name", sorted(p.name for p in GRAPH_MODELS.glob("*.txt") if p.name.startswith("keras") or p.name in TORCH_INPUTS)
)
def test_real_models_are_summarised_and_drawn(client, name):
    code = (GRAPH_MODELS / name).read_text()
    shape = TORCH_INPUTS.get(name, "")
    r, model = _model(client, code=code, model_input=shape)
    assert r.status_code == 200 and model["error"] is None, model["error"]
    result = model["result"]
    expected = engine.trace_code(code, input_shape=[int(d) for d in shape.split(", ")] if shape else None)
    assert result == expected
    assert len(model["rows"]) == len(result["inputs"]) + len(result["layers"])
    svg = ET.fromstring(model["diagram"])
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in svg.iter(f"{ns}g") if "node" in g.get("class", "").split()]
    assert [g.get("data-node") for g in nodes] == [row["name"] for row in model["rows"]]
    arrows = [p for p in svg.iter(f"{ns}path") if p.get("class", "").startswith("edge")]
    assert len(arrows) == graph_svg.connections(result)
    # Every box lies inside the drawing, and no two boxes overlap.
    width, height = float(svg.get("width")), float(svg.get("height"))
    rects = [(float(r.get("x")), float(r.get("y"))) for g in nodes for r in g.iter(f"{ns}rect")]
    assert all(
        0 <= x and x + graph_svg.NODE_WIDTH <= width and 0 <= y and y + graph_svg.NODE_HEIGHT <= height
        for x, y in rects
    )
    assert len(set(rects)) == len(rects)
