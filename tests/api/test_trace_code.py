"""POST /api/v1/trace with {"code": ...}: a pasted model read into a graph (engine.trace_code) and traced.

The API passes the engine's answer on as it is; these tests pin the HTTP side: the fields the answer
adds, the 256-character limit that code is exempt from (and its own 20,000), the errors as problem
documents with the line (and the expression of a needs_value question), and that a stack still works.
"""

from __future__ import annotations

import time

import pytest

import engine
from kb.api_schemas import MAX_CODE_CHARS
from tests.api.helpers import assert_problem

URL = "/api/v1/trace"

# pytorch/examples mnist/main.py, the Net class (what a user pastes), without the dropouts.
MNIST = """import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)
"""

# keras.io "The Functional API" guide: several inputs, two outputs.
MULTI = """import keras
from keras import layers
title_input = keras.Input(shape=(None,), name="title")
tags_input = keras.Input(shape=(12,), name="tags")
x = layers.Embedding(10000, 64)(title_input)
x = layers.LSTM(32)(x)
x = layers.concatenate([x, tags_input])
priority = layers.Dense(1, name="priority")(x)
department = layers.Dense(4, name="department")(x)
model = keras.Model(inputs=[title_input, tags_input], outputs=[priority, department])
"""

NEEDS_VALUE = """from keras import Sequential, layers
model = Sequential([
    layers.Input(shape=(x_train.shape[1],)),
    layers.Dense(64, activation='relu'),
    layers.Dense(10),
])
"""

STEP_FIELDS = {"index", "name", "layer", "inputs", "output_shape", "param_count", "macs", "line"}
ANSWER_FIELDS = {
    "framework",
    "input_shape",
    "layers",
    "output_shape",
    "outputs",
    "total_params",
    "trainable_params",
    "non_trainable_params",
    "total_macs",
    "notes",
}


def test_a_pytorch_module_with_its_forward(api):
    r = api.post(URL, json={"code": MNIST, "input_shape": [1, 1, 28, 28]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert ANSWER_FIELDS <= set(body)
    assert all(STEP_FIELDS <= set(step) for step in body["layers"])
    assert body == engine.trace_code(MNIST, input_shape=[1, 1, 28, 28])  # the engine's answer, as it is
    assert body["framework"] == "pytorch"
    assert body["output_shape"] == [1, 10] and body["outputs"] == [
        {"name": body["outputs"][0]["name"], "shape": [1, 10]}
    ]
    # 320 + 18,496 + 1,179,776 + 1,290, as torch counts them
    assert body["total_params"] == 1_199_882 == body["trainable_params"]
    assert body["non_trainable_params"] == 0
    by_name = {step["name"]: step for step in body["layers"]}
    assert by_name["fc1"]["line"] == 17 and by_name["fc1"]["inputs"] and by_name["fc1"]["macs"] == 9216 * 128 + 128
    # torchinfo's mult-adds: the weights (bias included) once per output position
    assert by_name["conv1"]["macs"] == 32 * 26 * 26 * (9 + 1)
    assert body["total_macs"] == sum(step["macs"] for step in body["layers"])


def test_several_inputs_and_outputs(api):
    r = api.post(URL, json={"code": MULTI, "input_shapes": [[None, 20], [None, 12]]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [o["shape"] for o in body["outputs"]] == [[None, 1], [None, 4]]
    assert body["output_shape"] == [None, 1]
    concat = next(step for step in body["layers"] if step["layer"].lower().startswith("concatenate"))
    assert len(concat["inputs"]) == 2 and concat["output_shape"] == [None, 44]


def test_code_is_exempt_from_the_string_limit_but_has_its_own(api):
    padded = MNIST + "#" + "x" * 5000 + "\n"
    r = api.post(URL, json={"code": padded, "input_shape": [1, 1, 28, 28]})
    assert r.status_code == 200
    too_long = "#" + "x" * MAX_CODE_CHARS + "\n"
    assert_problem(api.post(URL, json={"code": too_long}), 400, "string_too_long", "body.code")
    # Other strings keep their 256 characters, in a code request too.
    assert_problem(api.post(URL, json={"code": MNIST, "framework": "k" * 300}), 400, "string_too_long")


def test_a_value_from_the_data_is_asked_for_and_answered(api):
    problem = assert_problem(api.post(URL, json={"code": NEEDS_VALUE}), 422, "needs_value", "values")
    assert problem["expression"] == "x_train.shape[1]" and problem["line"] == 3
    assert problem["detail"].startswith("line 3:")
    r = api.post(URL, json={"code": NEEDS_VALUE, "values": {"x_train.shape[1]": 784}})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["output_shape"] == [None, 10]
    assert r.get_json()["total_params"] == 784 * 64 + 64 + 650


def test_the_node_that_does_not_fit_names_its_line(api):
    broken = MNIST.replace("nn.Linear(9216, 128)", "nn.Linear(9000, 128)")
    problem = assert_problem(api.post(URL, json={"code": broken, "input_shape": [1, 1, 28, 28]}), 422)
    assert problem["line"] == 17 and problem["detail"].startswith("line 17:")
    assert isinstance(problem["layer_index"], int) and "9216" in problem["detail"]


def test_no_input_shape_and_unsupported_code(api):
    assert_problem(api.post(URL, json={"code": MNIST}), 422, "needs_input_shape", "input_shape")
    odd = MNIST.replace("x = torch.flatten(x, 1)", "x = some_library.magic(x)")
    problem = assert_problem(api.post(URL, json={"code": odd, "input_shape": [1, 1, 28, 28]}), 422)
    assert problem["line"] == 16 and "line 16" in problem["detail"]
    problem = assert_problem(api.post(URL, json={"code": "def f(:\n"}), 422)
    assert problem["field"] == "code"


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"code": MNIST, "layers": []}, "unexpected_field", "layers"),
        ({"code": MNIST, "input_shape": [1, 1, 28, 28], "input_shapes": [[1, 1, 28, 28]]}, "conflicting_fields", None),
        ({"code": 7}, "invalid_type", "code"),
        ({"code": "  \n"}, "invalid_value", "code"),
        ({"code": MNIST, "input_shape": "1, 1, 28, 28"}, "invalid_type", "input_shape"),
        ({"code": MNIST, "input_shapes": []}, "invalid_type", "input_shapes"),
        ({"code": MNIST, "input_shapes": [[1, True]]}, "invalid_type", "input_shapes[0][1]"),
        ({"code": NEEDS_VALUE, "values": [784]}, "invalid_type", "values"),
        ({"code": NEEDS_VALUE, "values": {"x_train.shape[1]": {"a": 1}}}, "invalid_type", "values.x_train.shape[1]"),
        ({"code": NEEDS_VALUE, "values": {"n": 2**40}}, "invalid_value", "values.n"),
        ({"code": NEEDS_VALUE, "values": {f"v{n}": 1 for n in range(101)}}, "too_many_values", "values"),
    ],
)
def test_bad_code_requests_are_400(api, body, code, field):
    problem = assert_problem(api.post(URL, json=body), 400, code)
    if field is not None:
        assert problem["field"] == field


def test_a_stack_of_layers_works_as_before(api):
    stack = {"framework": "keras", "input_shape": [None, 8], "layers": [{"layer": "Dense", "params": {"units": 2}}]}
    r = api.post(URL, json=stack)
    assert r.status_code == 200 and r.get_json()["total_params"] == 18


@pytest.mark.parametrize(
    "code",
    [
        "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "import torch.nn as nn\nnet = nn.Sequential(" + "nn.Sequential(" * 400 + ")" * 401 + "\n",
        "a0 = [1]\n" + "".join(f"a{n} = [a{n - 1}] * 50\n" for n in range(1, 12)),
        "é = 1  # " + "é" * 19_000 + "\n",
    ],
    ids=["deep-brackets", "deep-sequential", "nested-lists", "non-ascii"],
)
def test_hostile_code_is_a_quick_4xx(api, code):
    started = time.perf_counter()
    r = api.post(URL, json={"code": code, "input_shape": [1, 4]})
    elapsed = time.perf_counter() - started
    assert 400 <= r.status_code < 500, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/problem+json"
    assert elapsed < 2.0, elapsed
