"""Random small models written as code, run in PyTorch (with torchinfo) and Keras, and read by engine.trace_code:
the same output shapes, total parameters and mult-adds, or an error on both sides. A fresh seed per run
(printed; SHAPEKB_SEED replays it)."""

from __future__ import annotations

import warnings

import engine
from engine import ShapeError

TORCH_MODELS = 15
KERAS_MODELS = 10


def _conv_out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def torch_cnn_code(rng) -> tuple[str, tuple]:
    """A CNN module: convolutions, pools, a residual add or a concatenated branch, a flattening head."""
    n, c, h = rng.randint(1, 3), rng.randint(1, 4), rng.randint(10, 24)
    w = h + rng.choice([0, 0, 2])
    shape = (n, c, h, w)
    init, body = [], []
    ch = c
    for k in range(rng.randint(1, 4)):
        kind = rng.choice(["conv", "conv", "residual", "branch", "pool"])
        if kind == "conv" or (kind in ("residual", "branch") and h < 4):
            out, ks, st, pd = rng.randint(2, 8), rng.choice([1, 3, 5]), rng.choice([1, 1, 2]), rng.choice([0, 1, 2])
            if _conv_out(min(h, w), ks, st, pd) < 1:
                continue
            init.append(f"self.conv{k} = nn.Conv2d({ch}, {out}, {ks}, stride={st}, padding={pd})")
            bn = rng.random() < 0.5
            if bn:
                init.append(f"self.bn{k} = nn.BatchNorm2d({out})")
                body.append(f"x = F.relu(self.bn{k}(self.conv{k}(x)))")
            else:
                body.append(f"x = torch.relu(self.conv{k}(x))")
            h, w, ch = _conv_out(h, ks, st, pd), _conv_out(w, ks, st, pd), out
        elif kind == "residual":
            init.append(f"self.res{k} = nn.Conv2d({ch}, {ch}, 3, padding=1, bias=False)")
            body.append(f"x = x + self.res{k}(x)" if rng.random() < 0.5 else f"y = self.res{k}(x)\n        x += y")
        elif kind == "branch":
            a, b = rng.randint(1, 5), rng.randint(1, 5)
            init.append(f"self.a{k} = nn.Conv2d({ch}, {a}, 1)")
            init.append(f"self.b{k} = nn.Conv2d({ch}, {b}, 3, padding=1)")
            body.append(f"x = torch.cat([self.a{k}(x), self.b{k}(x)], dim=1)")
            ch = a + b
        elif h >= 2 and w >= 2:
            if rng.random() < 0.5:
                body.append("x = F.max_pool2d(x, 2)")
            else:
                init.append(f"self.pool{k} = nn.AvgPool2d(2)")
                body.append(f"x = self.pool{k}(x)")
            h, w = h // 2, w // 2
    head = rng.choice(["view", "flatten", "adaptive"])
    if head == "adaptive":
        body.append("x = F.adaptive_avg_pool2d(x, (1, 1))")
        feat = ch
    else:
        feat = ch * h * w
    body.append("x = x.view(x.size(0), -1)" if head == "view" else "x = torch.flatten(x, 1)")
    if rng.random() < 0.1:
        feat += 1  # a wrong in_features: both sides must refuse
    classes = rng.randint(2, 10)
    init.append(f"self.fc = nn.Linear({feat}, {classes})")
    body.append("return F.log_softmax(self.fc(x), dim=1)")
    code = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + "".join(f"        {line}\n" for line in init)
        + "\n    def forward(self, x):\n"
        + "".join(f"        {line}\n" for line in body)
    )
    return code, shape


def torch_rnn_code(rng) -> tuple[str, tuple]:
    cell = rng.choice(["LSTM", "GRU", "RNN"])
    batch_first = rng.random() < 0.5
    layers, bi = rng.randint(1, 2), rng.random() < 0.5
    feat, hid, t, n = rng.randint(1, 6), rng.randint(2, 8), rng.randint(1, 6), rng.randint(1, 3)
    d = 2 if bi else 1
    last = "out[:, -1, :]" if batch_first else "out[-1]"
    unpack = "out, (h, c)" if cell == "LSTM" else "out, h"
    code = (
        "import torch.nn as nn\n\n\nclass Seq(nn.Module):\n"
        f"    def __init__(self, n_in={feat}, hidden={hid}):\n        super().__init__()\n"
        f"        self.rnn = nn.{cell}(n_in, hidden, num_layers={layers}, batch_first={batch_first}, "
        f"bidirectional={bi})\n"
        f"        self.fc = nn.Linear(hidden * {d}, 3)\n\n"
        f"    def forward(self, x):\n        {unpack} = self.rnn(x)\n        return self.fc({last}), h\n"
    )
    shape = (n, t, feat) if batch_first else (t, n, feat)
    return code, shape


def torch_seq_code(rng) -> tuple[str, tuple]:
    """A sequence model: Conv1d over time, permutes, an attention-style matmul, pooling by mean or max."""
    n, t, f = rng.randint(1, 3), rng.randint(4, 12), rng.randint(2, 6)
    hid, heads = rng.choice([4, 8]), rng.choice([1, 2])
    k = rng.choice([1, 3, 5])
    pad = rng.choice([0, k // 2])
    body = [
        "x = self.proj(x)",  # (n, t, hid)
        "y = self.conv(x.transpose(1, 2))",  # (n, hid, t')
        "y = F.gelu(y).permute(0, 2, 1).contiguous()",
        "b, s, c = y.shape",
        f"q = self.q(y).view(b, s, {heads}, c // {heads}).transpose(1, 2)",
        "att = torch.softmax(q @ q.transpose(-2, -1) / 2.0, dim=-1)",
        "z = (att @ q).transpose(1, 2).reshape(b, s, c)",
    ]
    pool = rng.choice(["mean", "max", "last", "flat"])
    body.append(
        {
            "mean": "z = z.mean(dim=1)",
            "max": "z, _ = z.max(dim=1)",
            "last": "z = z[:, -1]",
            "flat": "z = torch.flatten(z, 1)",
        }[pool]
    )
    s_len = t + 2 * pad - k + 1
    feat = hid * s_len if pool == "flat" else hid
    if rng.random() < 0.1:
        feat += 2  # a wrong in_features: both sides must refuse
    body.append("return self.out(z), att")
    code = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Seq(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.proj = nn.Linear({f}, {hid})\n"
        f"        self.conv = nn.Conv1d({hid}, {hid}, {k}, padding={pad})\n"
        f"        self.q = nn.Linear({hid}, {hid}, bias=False)\n"
        f"        self.out = nn.Linear({feat}, 3)\n\n"
        "    def forward(self, x):\n" + "".join(f"        {line}\n" for line in body)
    )
    return code, (n, t, f)


def _torch_truth(code, shape, torch):
    import torchinfo

    ns = {"__name__": "generated"}
    exec(compile(code, "<generated>", "exec"), ns)  # noqa: S102 - code this test generated
    cls = [
        v for v in ns.values() if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == "generated"
    ]
    model = cls[-1]().eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(shape))
    except (RuntimeError, ValueError) as err:
        return ("error", str(err))
    stats = torchinfo.summary(model, input_size=shape, verbose=0)
    outs = out if isinstance(out, tuple) else (out,)
    return ("ok", [list(o.shape) for o in outs], sum(p.numel() for p in model.parameters()), stats.total_mult_adds)


def _engine(code, **kw):
    try:
        a = engine.trace_code(code, **kw)
    except ShapeError as err:
        return ("error", err.code, err.message)
    return ("ok", [o["shape"] for o in a["outputs"]], a["total_params"], a["total_macs"])


def test_random_pytorch_models_match_pytorch_and_torchinfo(rng, torch):
    failures = []
    for k in range(TORCH_MODELS):
        code, shape = (torch_cnn_code, torch_seq_code, torch_rnn_code)[k % 3](rng)

        truth = _torch_truth(code, shape, torch)
        ours = _engine(code, input_shape=list(shape))
        if truth[0] != ours[0] or (truth[0] == "ok" and truth[1:] != ours[1:]):
            failures.append(f"input {shape}\n{code}\nframework {truth}\nengine {ours}")
    assert not failures, "\n\n".join(failures[:3])


def keras_code(rng) -> tuple[str, list]:
    """A functional Keras model: branches merged with add / concatenate / multiply, one or two outputs."""
    image = rng.random() < 0.5
    if image:
        h, c = rng.randint(6, 16), rng.randint(1, 4)
        shape = (h, h + rng.choice([0, 2]), c)
    else:
        shape = (rng.randint(2, 12),)
    lines = ["import keras", "from keras import layers", "", f"inp = keras.Input(shape={shape})", "x = inp"]
    width = shape[-1]
    for k in range(rng.randint(1, 4)):
        kind = rng.choice(["layer", "add", "concat", "multiply", "shared"])
        if image:
            f = rng.randint(1, 6)
            make = f"layers.Conv2D({f}, 3, padding='same', activation='relu')"
        else:
            f = rng.randint(1, 8)
            make = f"layers.Dense({f}, activation='tanh')"
        if kind == "layer":
            lines.append(f"x = {make}(x)")
            width = f
        elif kind == "add":
            other = f"layers.Conv2D({width}, 1)" if image else f"layers.Dense({width})"
            lines.append(f"x = layers.add([x, {other}(x)])")
        elif kind == "multiply":
            one = "layers.Conv2D(1, 1)" if image else "layers.Dense(1)"
            lines.append(f"x = layers.Multiply()([x, {one}(x)])")  # a 1 broadcasts against the other
        elif kind == "shared":
            lines.append(f"s{k} = {make}")
            lines.append(f"x = layers.Concatenate(axis=-1)([s{k}(x), s{k}(x)])")
            width = 2 * f
        else:
            lines.append(f"b{k} = {make}(x)")
            lines.append(f"x = layers.concatenate([x, b{k}])")
            width += f
    if image and rng.random() < 0.5:
        lines.append("x = layers.GlobalAveragePooling2D()(x)")
    lines.append("y = layers.Dense(3, name='head')(x)")
    outputs = "y"
    if rng.random() < 0.4:
        lines.append("z = layers.Dense(1)(x)")
        outputs = "[y, z]"
    lines.append(f"model = keras.Model(inp, {outputs})")
    return "\n".join(lines) + "\n", [None, *shape]


def keras_sequential_code(rng) -> tuple[str, list]:
    """A text Sequential: Embedding, Conv1D, pooling, recurrent layers (Bidirectional or not), a Dense head."""
    t = rng.randint(6, 20)
    lines = [
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential([",
        f"    keras.Input(shape=({t},)),",
    ]
    lines.append(f"    layers.Embedding({rng.randint(20, 200)}, {rng.randint(2, 16)}),")
    if rng.random() < 0.6:
        pad = rng.choice(["valid", "same"])
        lines.append(
            f"    layers.Conv1D({rng.randint(2, 8)}, {rng.choice([2, 3, 5])}, padding='{pad}', activation='relu'),"
        )
        lines.append(f"    layers.MaxPooling1D({rng.choice([1, 2])}),")
    cell = rng.choice(["LSTM", "GRU", "SimpleRNN"])
    units = rng.randint(2, 8)
    seq = rng.random() < 0.5
    inner = f"layers.{cell}({units}, return_sequences={seq})"
    lines.append(f"    layers.Bidirectional({inner})," if rng.random() < 0.5 else f"    {inner},")
    if seq:
        lines.append(f"    layers.{rng.choice(['GlobalMaxPooling1D', 'GlobalAveragePooling1D', 'Flatten'])}(),")
    lines.append(f"    layers.Dropout(0.5),\n    layers.Dense({rng.randint(1, 5)}, activation='softmax'),")
    lines.append("])")
    return "\n".join(lines) + "\n", [None, t]


def test_random_keras_models_match_keras(rng, keras):
    failures = []
    for k in range(KERAS_MODELS):
        code, _ = (keras_code, keras_sequential_code)[k % 2](rng)

        keras.backend.clear_session()
        ns = {"__name__": "generated"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, "<generated>", "exec"), ns)  # noqa: S102 - code this test generated
        model = ns["model"]
        truth = ("ok", [list(o.shape) for o in model.outputs], model.count_params())
        ours = _engine(code)
        if ours[:3] != truth:
            failures.append(f"{code}\nframework {truth}\nengine {ours}")
    assert not failures, "\n\n".join(failures[:3])


def test_generators_are_valid_python(rng):
    import ast

    for _ in range(5):
        ast.parse(torch_cnn_code(rng)[0])
        ast.parse(torch_rnn_code(rng)[0])
        ast.parse(keras_code(rng)[0])
        ast.parse(keras_sequential_code(rng)[0])
        ast.parse(torch_seq_code(rng)[0])
