"""The relevance suite's queries: written the way people type them (pasted error messages with their
numbers and traceback noise, questions, layer and parameter names), each with the entry that must
come first (rank 1) or among the first three (rank 3).

The error messages are real messages of the frameworks (the entries' `errors` record where each
comes from), with other numbers than the entry's own, or wrapped in the traceback around them.
"""

from __future__ import annotations

TRACEBACK_MAT1 = """Traceback (most recent call last):
  File "/home/user/project/train.py", line 57, in <module>
    outputs = model(images)
  File "/usr/local/lib/python3.10/site-packages/torch/nn/modules/module.py", line 1501, in _call_impl
    return forward_call(*args, **kwargs)
  File "/home/user/project/model.py", line 31, in forward
    x = self.fc1(x)
  File "/usr/local/lib/python3.10/site-packages/torch/nn/modules/linear.py", line 114, in forward
    return F.linear(input, self.weight, self.bias)
RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x2304 and 1024x10)"""

TRACEBACK_CHANNELS = """Traceback (most recent call last):
  File "predict.py", line 12, in <module>
    out = model(x)
  File "/opt/conda/lib/python3.8/site-packages/torch/nn/modules/conv.py", line 443, in forward
    return self._conv_forward(input, self.weight, self.bias)
  File "/opt/conda/lib/python3.8/site-packages/torch/nn/modules/conv.py", line 439, in _conv_forward
    return F.conv2d(input, weight, bias, self.stride,
RuntimeError: Given groups=1, weight of size [64, 3, 7, 7], expected input[8, 1, 224, 224] to have 3 channels, but got 1 channels instead"""

TRACEBACK_KERAS_DENSE = """Traceback (most recent call last):
  File "/content/train.py", line 40, in <module>
    model.fit(x_train, y_train, epochs=5)
  File "/usr/local/lib/python3.10/dist-packages/keras/src/utils/traceback_utils.py", line 122, in error_handler
    raise e.with_traceback(filtered_tb) from None
ValueError: Exception encountered when calling Sequential.call().

Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input shape to have value 3136, but received input with shape (None, 6272)

Arguments received by Sequential.call():
  • inputs=tf.Tensor(shape=(None, 28, 56, 1), dtype=float32)
  • training=True
  • mask=None"""

TRACEBACK_EMBEDDING = """  File "/usr/local/lib/python3.10/dist-packages/torch/nn/modules/sparse.py", line 162, in forward
    return F.embedding(
  File "/usr/local/lib/python3.10/dist-packages/torch/nn/functional.py", line 2233, in embedding
    return torch.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)
IndexError: index out of range in self"""

TRACEBACK_LSTM = """---------------------------------------------------------------------------
RuntimeError                              Traceback (most recent call last)
<ipython-input-7-1f2e3d4c5b6a> in <cell line: 3>()
      1 model = Forecaster()
----> 3 y = model(batch)

/usr/local/lib/python3.10/dist-packages/torch/nn/modules/rnn.py in check_input(self, input, batch_sizes)
    205         if self.input_size != input.size(-1):
--> 206             raise RuntimeError(
RuntimeError: input.size(-1) must be equal to input_size. Expected 24, got 1"""

# (query, slug, rank): the slug must be at position 1, or within the first `rank` results.
QUERIES: list[tuple[str, str, int]] = [
    # ---- pasted error messages -------------------------------------------------------------
    (TRACEBACK_MAT1, "flatten-linear-in-features-9216", 1),
    (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x2048 and 512x10)",
        "flatten-linear-in-features-9216",
        1,
    ),
    ("mat1 and mat2 shapes cannot be multiplied", "flatten-linear-in-features-9216", 1),
    (
        "RuntimeError: size mismatch, m1: [100 x 3136], m2: [1568 x 10] at /pytorch/aten/src/TH/generic/THTensorMath.cpp:41",
        "flatten-linear-in-features-9216",
        1,
    ),
    ("RuntimeError: mat1 dim 1 must match mat2 dim 0", "flatten-linear-in-features-9216", 1),
    (TRACEBACK_CHANNELS, "conv2d-grayscale-rgb-channels", 1),
    (
        "RuntimeError: Given groups=1, weight of size [32, 3, 3, 3], expected input[4, 1, 64, 64] to have 3 channels, but got 1 channels instead",
        "conv2d-grayscale-rgb-channels",
        3,
    ),
    (
        "Given groups=1, weight of size [16, 3, 5, 5], expected input[1, 128, 128, 3] to have 3 channels, but got 128 channels instead",
        "channels-first-vs-channels-last",
        3,
    ),
    (
        "RuntimeError: Given groups=1, weight of size [256, 128, 3, 3], expected input[8, 64, 56, 56] to have 128 channels, but got 64 channels instead",
        "conv-in-channels-previous-layer",
        3,
    ),
    (
        "RuntimeError: Expected 4-dimensional input for 4-dimensional weight [64, 3, 3, 3], but got 3-dimensional input of size [3, 32, 32] instead",
        "missing-batch-axis",
        1,
    ),
    (
        "RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [64, 64]",
        "missing-batch-axis",
        1,
    ),
    (
        "ValueError: Negative dimension size caused by subtracting 3 from 2 for 'conv2d_3/convolution' (op: 'Conv2D') with input shapes: [?,2,2,32], [3,3,32,64].",
        "kernel-larger-than-input",
        3,
    ),
    (
        "RuntimeError: Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size",
        "kernel-larger-than-input",
        1,
    ),
    (
        "RuntimeError: Given input size: (128x1x1). Calculated output size: (128x0x0). Output size is too small",
        "kernel-larger-than-input",
        3,
    ),
    (
        "ValueError: Computed output size would be zero or negative. Received `inputs shape=(None, 1, 1, 128)`, `kernel shape=(3, 3, 128, 256)`, `dilation_rate=[1 1]`, `strides=(1, 1)`, `padding=valid`.",
        "kernel-larger-than-input",
        3,
    ),
    ("RuntimeError: shape '[-1, 400]' is invalid for input of size 1600", "view-reshape-minus-one", 1),
    (
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
        "view-reshape-minus-one",
        1,
    ),
    ("RuntimeError: only one dimension can be inferred", "view-reshape-minus-one", 1),
    (
        "The total size of the tensor must be unchanged. Received: input_shape=(12, 5), target_shape=(8, 8)",
        "view-reshape-minus-one",
        1,
    ),
    ("ValueError: Expected input batch_size (256) to match target batch_size (64).", "flatten-vs-view-batch-size", 1),
    (TRACEBACK_LSTM, "rnn-input-size-is-features", 1),
    ("RuntimeError: input.size(-1) must be equal to input_size. Expected 128, got 64", "rnn-input-size-is-features", 1),
    ("RuntimeError: Expected hidden[0] size (2, 16, 128), got [16, 2, 128]", "pytorch-lstm-batch-first", 1),
    ("ValueError: LSTM: Expected input to be 2D or 3D, got 4D instead", "pytorch-lstm-batch-first", 1),
    (
        "ValueError: Input 0 of layer lstm_3 is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: [None, 100]",
        "keras-return-sequences-return-state",
        1,
    ),
    (
        "Input 0 is incompatible with layer lstm_2: expected ndim=3, found ndim=2",
        "keras-return-sequences-return-state",
        1,
    ),
    (TRACEBACK_EMBEDDING, "embedding-index-out-of-range", 1),
    ("IndexError: index out of range in self", "embedding-index-out-of-range", 1),
    (
        "RuntimeError: index out of range: Tried to access index 5003 out of table with 5000 rows.",
        "embedding-index-out-of-range",
        1,
    ),
    ("InvalidArgumentError: indices[3,17] = 20000 is not in [0, 20000)", "embedding-index-out-of-range", 3),
    ("RuntimeError: CUDA error: device-side assert triggered", "embedding-index-out-of-range", 3),
    (
        "ValueError: Unrecognized keyword arguments passed to Embedding: {'input_length': 100}",
        "keras3-embedding-input-length",
        1,
    ),
    ("UserWarning: Argument `input_length` is deprecated. Just remove it.", "keras3-embedding-input-length", 3),
    (TRACEBACK_KERAS_DENSE, "keras-flatten-dense-7-7-64", 1),
    (
        'ValueError: Layer "dense_1" expects 1 input(s), but it received 2 input tensors. Inputs received: [<KerasTensor shape=(None, 32)>, <KerasTensor shape=(None, 32)>]',
        "keras-bidirectional-merge-mode",
        1,
    ),
    (
        "ValueError: Layer lstm_1 weight shape (512,) is not compatible with provided weight shape (1024,).",
        "lstm-parameter-count-keras-vs-pytorch",
        1,
    ),
    (
        "ValueError: Kernel shape must have the same length as input, but received kernel of shape (3, 3, 3, 32) and input of shape (None, None, 64, 64, 3).",
        "missing-batch-axis",
        1,
    ),
    (
        "ValueError: Shapes used to initialize variables must be fully-defined (no `None` dimensions). Received: shape=(None, 10) for variable path='sequential_1/dense_2/kernel'",
        "head-independent-of-input-size",
        3,
    ),
    # ---- questions in people's words --------------------------------------------------------
    ("why does flatten give 9216", "flatten-linear-in-features-9216", 1),
    ("where does 9216 come from in nn.Linear", "flatten-linear-in-features-9216", 1),
    ("lenet 16*5*5 where does it come from", "lenet-flatten-16-5-5", 1),
    ("why 16 * 5 * 5 in fc1", "lenet-flatten-16-5-5", 1),
    ("keras flatten 7*7*64 dense", "keras-flatten-dense-7-7-64", 1),
    ("how to make the linear layer work for any image size", "head-independent-of-input-size", 1),
    ("AdaptiveAvgPool2d instead of flatten", "head-independent-of-input-size", 1),
    ("LazyLinear in_features", "head-independent-of-input-size", 1),
    ("grayscale images pretrained resnet 3 channels", "conv2d-grayscale-rgb-channels", 1),
    ("numpy image HWC to CHW permute", "channels-first-vs-channels-last", 1),
    ("keras data_format channels_first", "channels-first-vs-channels-last", 1),
    ("predict a single image unsqueeze(0)", "missing-batch-axis", 1),
    ("keras Input shape does not include the batch size", "missing-batch-axis", 3),
    ("negative dimension size maxpooling", "kernel-larger-than-input", 3),
    ("how many conv and maxpool layers for a 28x28 image", "how-deep-can-a-cnn-go", 1),
    ("what does -1 mean in view", "view-reshape-minus-one", 1),
    ("x.view(x.size(0), -1) vs torch.flatten", "flatten-vs-view-batch-size", 1),
    ("torch.flatten start_dim batch", "flatten-vs-view-batch-size", 1),
    ("LSTM batch_first", "pytorch-lstm-batch-first", 1),
    ("pytorch lstm input (seq_len, batch, input_size)", "pytorch-lstm-batch-first", 3),
    ("bidirectional lstm h_n shape num_layers", "lstm-hn-cn-num-layers-bidirectional", 1),
    ("stacked LSTM return_sequences", "keras-return-sequences-return-state", 1),
    ("return_state encoder decoder keras", "keras-return-sequences-return-state", 1),
    ("Bidirectional merge_mode concat sum", "keras-bidirectional-merge-mode", 1),
    ("why does pytorch LSTM have more parameters than keras", "lstm-parameter-count-keras-vs-pytorch", 1),
    ("GRU reset_after parameters", "lstm-parameter-count-keras-vs-pytorch", 1),
    ("embedding num_embeddings vocabulary size + 1", "embedding-index-out-of-range", 1),
    ("keras 3 embedding input_length", "keras3-embedding-input-length", 3),
    ("lstm input_size is it the sequence length", "rnn-input-size-is-features", 3),
    ("Conv1D output shape padding same", "keras-conv1d-output-shape", 1),
    ("Conv2D filters output channels", "conv2d-output-channels-filters", 3),
    ("TimeDistributed Dense output shape", "keras-timedistributed-shapes", 1),
    ("strided convolution vs max pooling", "strided-conv-vs-max-pooling", 1),
    ("GAN generator Conv2DTranspose shapes", "keras-gan-generator-shapes", 1),
    ("LSTM timesteps input_dim 600000 sequences", "lstm-input-shape-timesteps-features", 1),
    ("Embedding output shape (None, 10, 64)", "keras-embedding-output-shape", 3),
    # ---- content2: normalization, padding, transposed convolution, pooling, merges, attention ----
    ("RuntimeError: running_mean should contain 1 elements not 256", "batchnorm1d-input-shape", 1),
    ("ValueError: expected 2D or 3D input (got 4D input)", "batchnorm1d-input-shape", 1),
    ("BatchNorm1d num_features (N, C, L)", "batchnorm1d-input-shape", 1),
    ("why does BatchNormalization have non-trainable params", "keras-batchnorm-non-trainable-params", 1),
    ("moving_mean moving_variance parameters keras summary", "keras-batchnorm-non-trainable-params", 1),
    (
        "RuntimeError: Given normalized_shape=[64], expected input with shape [*, 64], but got input of size[16, 64, 32, 32]",
        "layernorm-normalized-shape",
        1,
    ),
    ("LayerNorm normalized_shape conv feature map", "layernorm-normalized-shape", 1),
    ("ValueError: padding='same' is not supported for strided convolutions", "padding-same-keras-vs-pytorch", 1),
    ("pytorch equivalent of keras padding same", "padding-same-keras-vs-pytorch", 1),
    ("padding same with an even kernel in PyTorch", "padding-same-keras-vs-pytorch", 1),
    ("running_mean should contain 36 elements not 2048", "batchnorm1d-input-shape", 3),
    ("causal padding pytorch Conv1d", "causal-padding-conv1d", 1),
    ("ZeroPadding2D ZeroPad2d order of padding tuple", "keras-zeropadding2d-vs-pytorch-zeropad2d", 1),
    ("ConvTranspose2d output_padding double the size", "conv-transpose-output-size", 1),
    ("transposed convolution output size formula", "conv-transpose-output-size", 3),
    (
        "RuntimeError: output padding must be smaller than either stride or dilation, but got output_padding_height: 3 output_padding_width: 3 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1",
        "conv-transpose-output-size",
        1,
    ),
    ("keras Conv2DTranspose output_padding", "keras-conv2dtranspose-output-padding", 1),
    ("MaxPool2d ceil_mode", "pooling-ceil-mode", 1),
    ("how does adaptive pooling work", "adaptive-avg-pool-output-size", 1),
    ("difference between Flatten and GlobalAveragePooling2D", "global-pooling-vs-flatten-params", 1),
    ("GlobalAveragePooling2D instead of Flatten fewer parameters", "global-pooling-vs-flatten-params", 1),
    (
        "RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 45 but got size 44 for tensor number 1 in the list.",
        "unet-skip-connection-sizes",
        1,
    ),
    ("unet input size divisible by 16", "unet-skip-connection-sizes", 1),
    ("resnet shortcut 1x1 convolution stride 2 downsample", "resnet-shortcut-1x1-projection", 1),
    (
        "ValueError: Operands could not be broadcast together with shapes (28, 28, 64) (56, 56, 64)",
        "resnet-shortcut-1x1-projection",
        1,
    ),
    ("AssertionError: embed_dim must be divisible by num_heads", "multihead-attention-embed-dim-heads", 1),
    ("MultiheadAttention batch_first attn_weights shape", "multihead-attention-embed-dim-heads", 1),
    ("keras MultiHeadAttention key_dim", "keras-multiheadattention-key-dim-params", 1),
    ("SeparableConv2D parameters depthwise pointwise", "depthwise-separable-conv-params", 1),
    ("Conv2d groups=in_channels depthwise", "depthwise-separable-conv-params", 1),
    ("dilated convolution receptive field", "dilated-conv-receptive-field", 1),
    ("UpSampling2D vs Conv2DTranspose", "upsample-vs-conv-transpose", 1),
    ("ValueError: Shapes (None, 1) and (None, 10) are incompatible", "keras-shapes-incompatible-labels", 1),
    ("sparse_categorical_crossentropy vs categorical_crossentropy labels", "keras-shapes-incompatible-labels", 1),
    ("RuntimeError: 0D or 1D target tensor expected, multi-target not supported", "pytorch-loss-target-shape", 1),
    (
        "ValueError: Target size (torch.Size([32])) must be the same as input size (torch.Size([32, 1]))",
        "pytorch-loss-target-shape",
        1,
    ),
    (
        "ValueError: Error when checking target: expected dense_1 to have shape (10,) but got array with shape (1,)",
        "keras-shapes-incompatible-labels",
        3,
    ),
    # ---- layer and parameter names, in either framework's spelling ---------------------------
    ("GlobalAveragePooling2D", "head-independent-of-input-size", 1),
    ("nn.Embedding padding_idx", "embedding-index-out-of-range", 1),
    ("Permute keras channels", "channels-first-vs-channels-last", 1),
    ("hidden_size num_layers bidirectional", "lstm-hn-cn-num-layers-bidirectional", 1),
    ("Linear in_features flatten", "flatten-linear-in-features-9216", 3),
    ("Dense units after Flatten", "keras-flatten-dense-7-7-64", 3),
]
