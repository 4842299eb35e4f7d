"""Every symbol the formulas use, declared once with its assumptions."""

from __future__ import annotations

import re

import sympy as sp

SYMBOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,30}")


def _positive(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


def _nonnegative(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, nonnegative=True)


# Per-axis quantities of convolution arithmetic (Dumoulin & Visin notation).
L_in = _positive("L_in")  # input length along one axis
L_out = _positive("L_out")  # output length along that axis
k = _positive("k")  # kernel (or pool) size
s = _positive("s")  # stride
d = _positive("d")  # dilation
p = _nonnegative("p")  # padding added to each side
op = _nonnegative("op")  # output_padding of a transposed convolution
crop_l = _nonnegative("c_l")  # cropping / padding at the start of an axis
crop_r = _nonnegative("c_r")  # ... and at its end
f = sp.Symbol("f", positive=True)  # a scale factor, need not be an integer

# Channel, feature and layer-width quantities.
C_in = _positive("C_in")
C_out = _positive("C_out")
g = _positive("g")  # groups
K = _positive("K")  # product of the kernel sizes over the spatial axes
u = _positive("u")  # units / hidden size
i = _positive("i")  # input features
D = _positive("D")  # embedding width / number of directions
N_vocab = _positive("N")  # vocabulary size
E = _positive("E")  # embedding dimension of attention
P = _nonnegative("P")  # parameter count
m = _positive("m")  # depth multiplier
q = _positive("q")  # product of the sizes a reshape names explicitly (all but the -1)
v = _positive("v")  # per-channel vectors a normalization layer keeps (gamma, beta, moving statistics)


# Recurrent layers (SimpleRNN/LSTM/GRU, torch RNN/LSTM/GRU), Bidirectional and attention.
G = _positive("G")  # gates of a recurrent cell: 1 (SimpleRNN/RNN), 3 (GRU), 4 (LSTM)
n_layers = _positive("n")  # stacked recurrent layers (torch num_layers)
h_out = _positive("h_out")  # torch H_out: proj_size when set, else hidden_size
P_f = _nonnegative("P_f")  # parameters of a Bidirectional's forward layer
P_b = _nonnegative("P_b")  # ... and of its backward layer
u_f = _positive("u_f")  # output width of a Bidirectional's forward layer
u_b = _positive("u_b")  # ... and of its backward layer
heads = _positive("h")  # attention heads (num_heads)
d_k = _positive("d_k")  # Keras MultiHeadAttention key_dim (per head)
d_v = _positive("d_v")  # Keras MultiHeadAttention value_dim (per head)
C_q = _positive("C_q")  # last dimension of the attention query
C_k = _positive("C_k")  # ... of the key
C_v = _positive("C_v")  # ... of the value
C_o = _positive("C_o")  # attention output width (product of output_shape, else C_q)
E_k = _positive("E_k")  # torch MultiheadAttention kdim
E_v = _positive("E_v")  # torch MultiheadAttention vdim
n_bias = _nonnegative("b")  # bias vectors of length E in torch MultiheadAttention
lora_r = _positive("r")  # LoRA rank (lora_rank)
# PixelShuffle upscale_factor / PixelUnshuffle downscale_factor (Shi et al. 2016 write r). The same
# SymPy symbol as lora_r (equal name and assumptions); each formula uses only one of the two meanings.
shuffle_r = _positive("r")


def user_symbol(name: str, field: str):
    """Turn a user's dimension name into a SymPy symbol, by pattern only (never sympify)."""
    from engine.errors import ShapeError

    if not isinstance(name, str) or not SYMBOL_NAME.fullmatch(name):
        raise ShapeError(
            "invalid_dimension",
            f"dimension {name!r} is not a symbol name: use letters, digits and _ (at most 31, not starting with a digit)",
            field,
        )
    return _positive(name)
