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
    assert err.details["expected"] == 16 and err.details["received"] == 32
    assert err.details["input_shape"] == [1, 32, 14, 14]
    assert err.as_dict()["details"]["code"] == "channel_mismatch"
    assert err.field == "layers[1].input_shape[1]"
    assert [layer["name"] for layer in err.partial["layers"]] == ["conv1"]
    assert err.as_dict()["partial"]["layers"][0]["output_shape"] == [1, 32, 14, 14]


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


def test_lambda_followed_through_its_function_or_refused():
    code = """
        from keras import layers, Input, Model
        from keras import backend as K
        a = Input(shape=(8, 3))
        x = layers.Lambda(lambda t: t[:, -4:, :] * 2.0, output_shape=OUT)(a)
        y = layers.Dense(2)(x)
        model = Model(a, y)
        """
    a = trace(code.replace("OUT", "None"))
    assert a["output_shape"] == [None, 4, 2] and "lambda" in names(a)
    assert refuse(code.replace("OUT", "(5, 3)")).code == "shape_mismatch"
    err = refuse(code.replace("t[:, -4:, :] * 2.0", "K.image_resize(t, 4)").replace("OUT", "None"))
    assert err.code == "unsupported_construct" and err.line == 5


def test_time_distributed_model():
    a = trace(
        """
        import keras
        from keras import layers
        frame = keras.Sequential([keras.Input((6, 6, 1)), layers.Conv2D(2, 3), layers.Flatten()])
        video = keras.Input(shape=(5, 6, 6, 1))
        x = layers.TimeDistributed(frame)(video)
        model = keras.Model(video, layers.LSTM(4)(x))
        """
    )
    assert a["layers"][0]["output_shape"] == [None, 5, 32]
    assert a["total_params"] == 20 + 4 * (4 * 36 + 4)


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


# ---- later constructs ----------------------------------------------------------------------------


def test_decidable_conditions_and_names_built_from_strings():
    a = trace(
        """
        import torch.nn as nn
        import torch.nn.functional as F
        class Block(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.conv = nn.Conv2d(cin, cout, 3, padding=1)
                if cin != cout:
                    self.shortcut = nn.Conv2d(cin, cout, 1)
            def forward(self, x):
                out = self.conv(x)
                shortcut = self.shortcut(x) if hasattr(self, "shortcut") else x
                if x.is_cuda:
                    out = out * 2
                return F.relu(out + shortcut)
        class Net(nn.Module):
            cfg = [4, 'M', 8]
            def __init__(self):
                super().__init__()
                cin = 3
                for i, v in enumerate(self.cfg):
                    if isinstance(v, int):
                        setattr(self, f"block{i}", Block(cin, v))
                        cin = v
                for m in self.modules():
                    if isinstance(m, nn.Conv2d):
                        nn.init.kaiming_normal_(m.weight)
            def forward(self, x):
                x = getattr(self, "block%d" % 0)(x)
                x = F.max_pool2d(x, 2)
                return getattr(self, "block{}".format(2))(x)
        """,
        input_shape=[1, 3, 8, 8],
    )
    assert a["output_shape"] == [1, 8, 4, 4]
    assert "block0.shortcut" in names(a) and "block2.shortcut" in names(a)


def test_staticmethod_buffer_arange_and_parameters():
    a = trace(
        """
        import math
        import torch
        import torch.nn as nn
        class Pos(nn.Module):
            def __init__(self, d=8, max_len=50):
                super().__init__()
                pe = torch.zeros(max_len, d)
                position = torch.arange(0, max_len).unsqueeze(1)
                pe[:, 0::2] = torch.sin(position * 2.0)
                self.register_buffer("pe", pe.unsqueeze(0))
                self.cls = nn.Parameter(torch.zeros(1, 1, d))
            @staticmethod
            def double(t):
                return t * 2
            def forward(self, x):
                x = torch.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1)
                return self.double(x + self.pe[:, : x.size(1)])
        """,
        input_shape=[3, 10, 8],
    )
    assert a["output_shape"] == [3, 11, 8] and a["total_params"] == 8


def test_leaf_module_macs_as_torchinfo_counts_them():
    a = trace(
        """
        import torch
        import torch.nn as nn
        class Scale(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(n))
            def forward(self, x):
                return x * self.weight
        model = nn.Sequential(nn.Linear(3, 5), Scale(5))
        """,
        input_shape=[4, 3],
    )
    assert a["total_params"] == 25 and a["total_macs"] == 4 * 20 + 4 * 5


def test_keras_functions_on_tensors_and_graph_without_model():
    a = trace(
        """
        import tensorflow as tf
        from tensorflow import keras
        inp = keras.Input(shape=(8, 4))
        x = keras.layers.Dense(6)(inp)
        x = tf.nn.relu(x)
        y = keras.ops.concatenate([x, inp], axis=-1)
        z = tf.reduce_mean(y, axis=1, keepdims=True)
        """
    )
    assert a["output_shape"] == [None, 1, 10] and a["total_params"] == 30
    assert any("no Model" in n for n in a["notes"])


def test_keras_trailing_axis_and_mismatched_input_rank():
    code = """
        from keras.models import Sequential
        from keras.layers import Conv2D
        model = Sequential()
        model.add(Conv2D(4, 3, input_shape=(10, 10, 1)))
        """
    assert trace(code, input_shape=[None, 10, 10])["output_shape"] == [None, 8, 8, 4]
    assert refuse(code, input_shape=[None, 10]).code == "invalid_input_shape"


def test_keras_initial_state_keeps_the_encoder():
    a = trace(
        """
        from keras.layers import Input, LSTM, Dense
        from keras.models import Model
        enc_in = Input(shape=(None, 5))
        _, h, c = LSTM(16, return_state=True)(enc_in)
        dec_in = Input(shape=(None, 7))
        out = LSTM(16, return_sequences=True)(dec_in, initial_state=[h, c])
        model = Model([enc_in, dec_in], Dense(7)(out))
        """
    )
    assert a["total_params"] == 4 * (16 * 21 + 16) + 4 * (16 * 23 + 16) + 119
    assert [i["name"] for i in a["inputs"]] == ["input_layer", "input_layer_1"]


def test_partly_run_statement_leaves_its_names_unknown():
    err = refuse(
        """
        import torch.nn as nn
        n = 2
        for i in range(100):
            n = n * n
        model = nn.Sequential(nn.Linear(n, 2))
        """,
        input_shape=[1, 4],
    )
    assert err.code == "unsupported_construct" and err.line == 5


def test_custom_weights_and_undeclared_bases_are_refused():
    err = refuse(
        """
        import keras
        class Scale(keras.layers.Layer):
            def build(self, shape):
                self.w = self.add_weight(shape=(shape[-1],))
            def call(self, x):
                return x * self.w
        inp = keras.Input((4,))
        model = keras.Model(inp, Scale()(inp))
        """
    )
    assert err.code == "unsupported_construct" and "Scale" in err.message
    err = refuse(
        """
        import torch.nn as nn
        class T(nn.TransformerEncoderLayer):
            pass
        model = T(8, 2)
        """,
        input_shape=[2, 3, 8],
    )
    assert err.code == "unsupported_construct" and "TransformerEncoderLayer" in err.message


def test_never_a_crash_on_odd_code():
    for code in (
        "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(2, 2))\nmodel.foo.bar[3] = 1\n",
        "import torch.nn as nn\nclass N(nn.Module):\n    def forward(self, x):\n        return x[None, ..., 0].abs()\n",
        "import keras\nx = keras.Input((3,))\ny = x.shape[5]\n",
        "def f(*a, **k):\n    return f\nf(1)(2)(3)\n",
    ):
        try:
            engine.trace_code(code, input_shape=[2, 3])
        except ShapeError as err:
            assert err.code  # a refusal, never another exception


def test_frozen_weights_are_not_trainable(keras, torch):
    code = """
        import keras
        from keras import layers
        base = keras.Sequential([keras.Input((8,)), layers.Dense(16), layers.BatchNormalization(), layers.Dense(4)])
        base.layers[0].trainable = False
        inp = keras.Input((8,))
        head = layers.Dense(2)
        model = keras.Model(inp, layers.Dense(3, trainable=False)(head(base(inp))))
        FREEZE
        """
    for freeze in ("head.trainable = False", "base.trainable = False", "pass"):
        source = textwrap.dedent(code.replace("FREEZE", freeze))
        ns: dict = {}
        exec(compile(source, "<test>", "exec"), ns)  # noqa: S102 - this test's own code
        model = ns["model"]
        a = engine.trace_code(source)
        assert a["total_params"] == model.count_params()
        assert a["trainable_params"] == sum(int(w.numpy().size) for w in model.trainable_weights), freeze
    code = """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
                self.scale = nn.Parameter(torch.ones(8))
                self.fc = nn.Linear(8, 2)
            def forward(self, x):
                return self.fc(self.body(x) * self.scale)
        model = Net()
        model.body[0].requires_grad_(False)
        for p in model.parameters():
            p.requires_grad = False
        for p in model.fc.parameters():
            p.requires_grad_(True)
        """
    source = textwrap.dedent(code)
    ns = {}
    exec(compile(source, "<test>", "exec"), ns)  # noqa: S102 - this test's own code
    model = ns["model"]
    a = engine.trace_code(source, input_shape=[3, 4])
    assert a["trainable_params"] == sum(p.numel() for p in model.parameters() if p.requires_grad) == 18
    assert a["non_trainable_params"] == 64


def test_a_skipped_statement_that_changes_the_model_is_an_error():
    err = refuse(
        """
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(4, 2))
        for name, p in model.state_dict().items():
            p.requires_grad = False
        """,
        input_shape=[1, 4],
    )
    assert err.code == "unsupported_construct" and err.line == 4


def test_partial_dataclass_and_tied_weights(torch):
    code = textwrap.dedent(
        """
        import functools
        from dataclasses import dataclass
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        @dataclass
        class Config:
            vocab: int = 50
            dim: int = 8
            heads: int = 2

        class Tiny(nn.Module):
            def __init__(self, config, norm=functools.partial(nn.LayerNorm, eps=1e-6)):
                super().__init__()
                self.emb = nn.Embedding(config.vocab, config.dim)
                self.norm = norm(config.dim)
                self.qkv = nn.Linear(config.dim, 3 * config.dim)
                self.head = nn.Linear(config.dim, config.vocab, bias=False)
                self.emb.weight = self.head.weight
                self.heads = config.heads
                use_bias = type(norm) == functools.partial and norm.func == nn.LayerNorm
                self.extra = nn.Linear(2, 2, bias=use_bias)
                for name, p in self.named_parameters():
                    if name.endswith("qkv.weight"):
                        torch.nn.init.normal_(p, std=0.02)

            def forward(self, idx):
                b, t = idx.size()
                x = self.norm(self.emb(idx))
                q, k, v = self.qkv(x).split(x.size(-1), dim=2)
                q = q.view(b, t, self.heads, -1).transpose(1, 2)
                k = k.view(b, t, self.heads, -1).transpose(1, 2)
                v = v.view(b, t, self.heads, -1).transpose(1, 2)
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                y = y.transpose(1, 2).contiguous().view(b, t, -1)
                return self.head(y[:, [-1], :])

        model = Tiny(Config(vocab=40))
        """
    )
    ns: dict = {}
    exec(compile(code, "<test>", "exec"), ns)  # noqa: S102 - this test's own code
    model = ns["model"]
    out = model(torch.zeros((2, 5), dtype=torch.long))
    a = engine.trace_code(code, input_shape=[2, 5])
    assert a["output_shape"] == list(out.shape) == [2, 1, 40]
    assert a["total_params"] == sum(p.numel() for p in model.parameters())


def test_memory_and_expression_growth_are_bounded():
    many = "import torch.nn as nn\nd = {}\nfor i in range(9000):\n    d[i] = [i] * 9000\n"
    assert refuse(many + "model = nn.Sequential(nn.Linear(2, 2))\n", input_shape=[1, 2]).code == "too_complex"
    chain = (
        "import torch.nn as nn\na = foo\nfor i in range(20000):\n    a = a.b\nmodel = nn.Sequential(nn.Linear(2, 2))\n"
    )
    assert trace(chain, input_shape=[1, 2])["total_params"] == 6


def test_weights_frozen_one_by_one(torch):
    code = textwrap.dedent(
        """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
                self.scale = nn.Parameter(torch.ones(8))
                self.fc = nn.Linear(8, 2)
            def forward(self, x):
                return self.fc(self.body(x) * self.scale)
        model = Net()
        for name, p in model.named_parameters():
            if "bias" in name or name == "scale":
                p.requires_grad = False
        model.fc.requires_grad_(False)
        for n, p in model.fc.named_parameters():
            if n == "weight":
                p.requires_grad_(True)
        """
    )
    ns: dict = {}
    exec(compile(code, "<test>", "exec"), ns)  # noqa: S102 - this test's own code
    model = ns["model"]
    a = engine.trace_code(code, input_shape=[3, 4])
    assert a["trainable_params"] == sum(p.numel() for p in model.parameters() if p.requires_grad) == 56
    assert [layer["trainable_params"] for layer in a["layers"] if layer["kind"] == "layer"] == [32, 8, 16]
