"""engine.read_model / engine.trace_code: each construct the reader follows, and each way it refuses."""

from __future__ import annotations

import textwrap

import pytest

import engine
from engine import ShapeError


def trace(code, **kw):
    return engine.trace_code(textwrap.dedent(code), **kw)


def refuse(code, **kw) -> ShapeError:
    with pytest.raises(ShapeError) as info:
        trace(code, **kw)
    return info.value


def names(answer):
    return [layer["name"] for layer in answer["layers"]]


# ---- PyTorch ---------------------------------------------------------------------------------


def test_forward_order_and_functional_ops():
    a = trace(
        """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(16 * 5 * 5, 10)
                self.conv = nn.Conv2d(3, 16, 5)
            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv(x)), 2)
                x = x.view(x.size(0), -1)
                return self.fc(x)
        """,
        input_shape=[4, 3, 14, 14],
    )
    assert names(a) == ["conv", "relu", "max_pool2d", "view", "fc"]
    assert [layer["layer"] for layer in a["layers"]] == ["Conv2d", "ReLU", "MaxPool2d", "view", "Linear"]
    assert a["output_shape"] == [4, 10]
    assert a["layers"][3]["output_shape"] == [4, 400]
    assert a["layers"][4]["inputs"] == ["view"]
    assert a["layers"][0]["line"] == 10


def test_mismatch_names_line_node_and_numbers():
    err = refuse(
        """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 32, 3)
                self.conv2 = nn.Conv2d(16, 8, 3)
            def forward(self, x):
                x = self.conv1(x)
                return self.conv2(x)
        """,
        input_shape=[1, 3, 16, 16],
    )
    assert err.code == "channel_mismatch"
    assert err.message.startswith("line 10: conv2 (Conv2d) expects")
    assert err.layer_index == 1 and err.line == 10
    assert err.details["name"] == "conv2" and err.details["layer"] == "Conv2d"
    assert err.details["expected"] == "16" and err.details["received"] == "32"
    assert err.details["input_shape"] == [1, 32, 14, 14]
    assert err.as_dict()["details"]["code"] == "channel_mismatch"


def test_needs_input_shape_for_pytorch():
    err = refuse("import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(3, 4))\n")
    assert err.code == "needs_input_shape"


def test_example_call_gives_the_input_shape():
    a = trace(
        """
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        x = torch.randn(5, 3)
        y = model(x)
        """
    )
    assert a["input_shape"] == [5, 3] and a["output_shape"] == [5, 2]
    assert names(a) == ["0", "1", "2"]


def test_nested_names_helpers_defaults_and_residual():
    a = trace(
        """
        import torch.nn as nn
        import torch.nn.functional as F
        def conv3x3(cin, cout, stride=1):
            return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        class Block(nn.Module):
            def __init__(self, ch):
                super().__init__()
                self.conv1 = conv3x3(ch, ch)
                self.bn1 = nn.BatchNorm2d(ch)
            def forward(self, x):
                identity = x
                out = self.bn1(self.conv1(x))
                out = out + identity
                return F.relu(out)
        class Net(nn.Module):
            def __init__(self, ch=8, blocks=2):
                super().__init__()
                self.layer1 = nn.Sequential(*[Block(ch) for _ in range(blocks)])
            def forward(self, x):
                return self.layer1(x)
        """,
        input_shape=[2, 8, 6, 6],
    )
    assert "layer1.1.conv1" in names(a) and "layer1.0.bn1" in names(a)
    assert a["total_params"] == 2 * (8 * 8 * 9 + 16)
    assert a["output_shape"] == [2, 8, 6, 6]


def test_instantiated_model_is_chosen_and_its_arguments_used():
    a = trace(
        """
        import torch.nn as nn
        class A(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.fc = nn.Linear(n, 2)
            def forward(self, x):
                return self.fc(x)
        class B(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 3)
            def forward(self, x):
                return self.fc(x)
        model = A(7)
        """,
        input_shape=[1, 7],
    )
    assert a["model"] == "A" and a["total_params"] == 16


def test_rnn_tuple_unpacking_and_state_check():
    code = """
        import torch
        import torch.nn as nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(4, 6, num_layers=2, batch_first=True, bidirectional=True)
                self.head = nn.Linear(12, 3)
            def forward(self, x):
                h0 = torch.zeros(H, x.size(0), 6)
                out, h = self.rnn(x, h0)
                return self.head(out[:, -1, :]), h
        """
    a = trace(code.replace("H,", "4,"), input_shape=[5, 7, 4])
    assert [o["shape"] for o in a["outputs"]] == [[5, 3], [4, 5, 6]]
    err = refuse(code.replace("H,", "2,"), input_shape=[5, 7, 4])
    assert err.code == "state_mismatch" and "rnn (GRU)" in err.message


def test_shared_module_counted_once_and_loops_over_module_list():
    a = trace(
        """
        import torch.nn as nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
                self.shared = nn.Linear(8, 8)
            def forward(self, x):
                for b in self.blocks:
                    x = self.shared(b(x))
                return x
        """,
        input_shape=[2, 8],
    )
    assert a["total_params"] == 4 * 72
    assert names(a).count("shared") == 1 and "shared[2]" in names(a)
    assert a["total_macs"] == 6 * 2 * 72  # every call counts, as torchinfo counts


def test_tensor_methods():
    a = trace(
        """
        import torch
        import torch.nn as nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(6, 6)
            def forward(self, x, y):
                b, t, c = x.shape
                q = self.proj(x).permute(0, 2, 1).contiguous()
                s = torch.matmul(x, q)
                s = s.unsqueeze(1).squeeze(1).transpose(1, 2)
                z = torch.cat([s, y], dim=2)
                a, b2 = z.chunk(2, dim=-1)
                m = a.mean(dim=1, keepdim=True) * b2
                return m.reshape(b, -1), torch.stack([x, x], 0).flatten(1)
        """,
        input_shapes=[[2, 5, 6], [2, 5, 3]],
    )
    assert [o["shape"] for o in a["outputs"]] == [[2, 20], [2, 60]]
    assert [i["name"] for i in a["inputs"]] == ["x", "y"]


def test_broadcast_mismatch_is_an_error():
    err = refuse(
        """
        import torch.nn as nn
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(4, 5)
            def forward(self, x):
                return self.a(x) + x
        """,
        input_shape=[2, 4],
    )
    assert err.code == "broadcast_mismatch" and err.line == 8


def test_needs_value_and_values_answer_it():
    code = """
        import torch.nn as nn
        import numpy as np
        x_train = np.load("train.npy")
        model = nn.Sequential(nn.Linear(x_train.shape[1], 10))
        """
    err = refuse(code, input_shape=[2, 784])
    assert err.code == "needs_value"
    assert err.details == {"expression": "x_train.shape[1]", "line": 5}
    assert err.message == "line 5: `x_train.shape[1]` — give its value"
    a = trace(code, input_shape=[2, 784], values={"x_train.shape[1]": 784})
    assert a["total_params"] == 7850


def test_needs_value_for_a_required_constructor_argument():
    code = """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self, n_classes):
                super().__init__()
                self.fc = nn.Linear(4, n_classes)
            def forward(self, x):
                return self.fc(x)
        """
    assert refuse(code, input_shape=[1, 4]).details["expression"] == "n_classes"
    assert trace(code, input_shape=[1, 4], values={"n_classes": 3})["output_shape"] == [1, 3]


def test_unsupported_construct_names_the_line():
    err = refuse(
        """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
            def forward(self, x):
                x = my_custom_op(x)
                return self.fc(x)
        """,
        input_shape=[1, 4],
    )
    assert err.code == "unsupported_construct" and err.message.startswith("line 8:")


def test_condition_on_data_is_refused():
    err = refuse(
        """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
            def forward(self, x):
                if x.sum() > 0:
                    x = self.fc(x)
                return x
        """,
        input_shape=[1, 4],
    )
    assert err.code == "unsupported_construct" and err.line == 8


def test_unused_module_parameters_are_counted():
    a = trace(
        """
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
                self.extra = nn.Conv2d(3, 8, 3)
            def forward(self, x):
                return self.fc(x)
        """,
        input_shape=[1, 4],
    )
    assert a["total_params"] == 20 + 8 * 27 + 8
    assert any("extra" in n for n in a["notes"])


# ---- Keras -------------------------------------------------------------------------------------


def test_keras_sequential_add_with_input_shape_and_names():
    a = trace(
        """
        from keras.models import Sequential
        from keras.layers import Dense, Dropout
        model = Sequential()
        model.add(Dense(64, activation='relu', input_dim=20))
        model.add(Dropout(0.5))
        model.add(Dense(10, activation='softmax'))
        """
    )
    assert names(a) == ["dense", "dropout", "dense_1"]
    assert a["input_shape"] == [None, 20] and a["output_shape"] == [None, 10]
    assert a["total_params"] == 20 * 64 + 64 + 650


def test_keras_sequential_without_shape_needs_it():
    code = "import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n"
    assert refuse(code).code == "needs_input_shape"
    assert trace(code, input_shape=[None, 5])["total_params"] == 18


def test_keras_functional_merges_shared_layer_and_two_outputs():
    a = trace(
        """
        from keras import layers, Input, Model
        a = Input(shape=(8,))
        b = Input(shape=(8,), name="second")
        shared = layers.Dense(4, name="shared")
        x = layers.Concatenate()([shared(a), shared(b)])
        y = layers.Multiply()([shared(a), layers.Dense(1)(b)])
        m = Model(inputs=[a, b], outputs=[x, y])
        """
    )
    assert [o["shape"] for o in a["outputs"]] == [[None, 8], [None, 4]]
    assert [i["name"] for i in a["inputs"]] == ["input_layer", "second"]
    assert a["total_params"] == 36 + 9
    shared = [layer for layer in a["layers"] if layer["name"].startswith("shared")]
    assert [s["param_count"] for s in shared] == [36, 0, 0]


def test_keras_merge_mismatch_and_legacy_merge():
    err = refuse(
        """
        from keras.layers import Input, Dense, add
        a = Input(shape=(8,))
        x = add([Dense(4)(a), Dense(5)(a)])
        """
    )
    assert err.code == "shape_mismatch" and err.line == 4 and "add (Add)" in err.message
    a = trace(
        """
        from keras.layers import Input, Dense, merge
        from keras.models import Model
        a = Input(shape=(8,))
        x = merge([Dense(4)(a), Dense(5)(a)], mode='concat', concat_axis=-1)
        model = Model(a, x)
        """
    )
    assert a["output_shape"] == [None, 9]


def test_keras_subclass_model():
    a = trace(
        """
        import keras
        from keras import layers
        class MLP(keras.Model):
            def __init__(self, hidden=16):
                super().__init__()
                self.d1 = layers.Dense(hidden, activation="relu")
                self.d2 = layers.Dense(3)
            def call(self, inputs):
                return self.d2(self.d1(inputs))
        model = MLP()
        """,
        input_shape=[None, 10],
    )
    assert a["output_shape"] == [None, 3] and a["total_params"] == 176 + 51


def test_keras_lstm_states_and_data_values():
    a = trace(
        """
        from keras.layers import Input, LSTM, Dense
        from keras.models import Model
        inp = Input(shape=(None, x_train.shape[2]))
        out, h, c = LSTM(32, return_state=True)(inp)
        model = Model(inp, Dense(2)(h))
        """,
        values={"x_train.shape[2]": 5},
    )
    assert a["output_shape"] == [None, 2] and a["total_params"] == 4 * (32 * 37 + 32) + 66


def test_keras_input_shapes_given_replace_the_code_shapes():
    a = trace(
        "import keras\ni = keras.Input((4,))\nmodel = keras.Model(i, keras.layers.Dense(2)(i))\n",
        input_shapes=[[None, 6]],
    )
    assert a["total_params"] == 14


def test_lambda_is_refused():
    err = refuse(
        """
        from keras import layers, Input, Model
        a = Input(shape=(8,))
        x = layers.Lambda(lambda t: t[:, :4])(a)
        y = layers.Dense(2)(x)
        model = Model(a, y)
        """
    )
    assert err.code == "unsupported_construct" and "Lambda" in err.message


# ---- bounds ------------------------------------------------------------------------------------


def test_bounds():
    assert refuse("x = 1\n" * 5000).code == "code_too_long"
    assert refuse("import torch.nn as nn\nx = " + "-" * 200 + "1\n").code in (
        "too_complex",
        "invalid_code",
    )
    deep = "import torch.nn as nn\nn = " + " + ".join(["1"] * 3000) + "\n"
    assert refuse(deep).code in ("too_complex", "invalid_code")
    many = """
        import torch.nn as nn
        model = nn.Sequential(*[nn.ReLU() for _ in range(1500)])
        """
    assert refuse(many, input_shape=[1, 2]).code == "too_many_nodes"
    loop = """
        import torch.nn as nn
        n = 0
        while True:
            n = n + 1
        """
    assert refuse(loop).code in ("unsupported_construct", "too_complex")
    big = "import torch.nn as nn\nx = [0] * 10**9\n"
    assert refuse(big).code in ("unsupported_construct", "no_model")
