"""kb.search_query: a pasted message or a few words made into search terms (pure; no database)."""

from __future__ import annotations

import pytest

from kb.search import fts5_query
from kb.search_query import MAX_TERMS, MAX_TEXT, looks_pasted, message_text, normalize, spellings

TRACEBACK = """Traceback (most recent call last):
  File "/home/me/train.py", line 57, in <module>
    outputs = model(images)
  File "/usr/lib/python3.10/site-packages/torch/nn/modules/linear.py", line 114, in forward
    return F.linear(input, self.weight, self.bias)
RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"""


def test_a_traceback_keeps_only_its_message():
    assert looks_pasted(TRACEBACK)
    assert message_text(TRACEBACK).strip() == "mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"
    query = normalize(TRACEBACK)
    assert query.pasted
    assert query.words == ["mat1", "mat2", "shapes", "cannot", "multiplied"]


def test_the_same_traceback_on_one_line_gives_the_same_words():
    assert normalize(" ".join(TRACEBACK.split())).words == normalize(TRACEBACK).words


def test_numbers_sizes_paths_and_keras_layer_numbers_go_from_a_message():
    query = normalize(
        "ValueError: Input 0 of layer dense_3 is incompatible with the layer: expected axis -1 of input shape "
        "to have value 3136 but received input with shape (None, 4096) at /opt/lib/keras/src/layer.py:12"
    )
    assert "dense" in query.words and "dense_3" not in query.words
    assert not any(w.isdigit() for w in query.words)
    assert not {"opt", "lib", "src", "py"} & set(query.words)
    # Keras 3 tails ("Arguments received by ...") are dropped too.
    assert normalize("ValueError: bad. Arguments received by Dense.call(): • inputs=tf.Tensor(shape=(2,))").words == [
        "bad"
    ]


def test_a_question_keeps_its_numbers_and_drops_filler():
    query = normalize("Why does Flatten give 9216?")
    assert not query.pasted
    assert query.words == ["flatten", "9216"]
    assert normalize("the").words == ["the"], "a query of filler alone is still searched"


def test_spellings_of_both_frameworks_are_grouped():
    assert spellings("dense") == ("dense", "linear")
    assert spellings("batchnorm2d") == ("batchnorm2d", "batchnormalization")
    assert spellings("units") == ("units", "out_features", "hidden_size")
    assert spellings("nonsenseword") == ("nonsenseword",)
    # Naming a framework keeps its own spellings only.
    assert normalize("keras dense 7*7*64").groups[1] == ("dense",)
    assert normalize("pytorch dense").groups[1] == ("dense", "linear")
    assert normalize("dense").groups == (("dense", "linear"),)
    # A pasted message is matched word for word.
    assert normalize("ValueError: layer dense").groups == (("layer",), ("dense",))


def test_parameter_names_stay_whole():
    assert normalize("LSTM batch_first").words == ["lstm", "batch_first"]
    assert normalize("in_features of nn.Linear").words == ["in_features", "nn", "linear"]


def test_pairs_rank_a_pasted_message_by_its_neighbouring_words():
    query = normalize("RuntimeError: expected input[8, 1, 224, 224] to have 3 channels, but got 1 channels instead")
    assert ("1", "channels") in query.pairs and ("got", "1") in query.pairs
    assert normalize("why does flatten give 9216").pairs == ()


@pytest.mark.parametrize(
    "text", ['"', "NEAR(a b)", "a OR b", "title:x", "-x", "x*", "'; DROP TABLE questions; --", "(", "\\", "%_"]
)
def test_no_query_syntax_survives(text):
    expression = fts5_query(normalize(text))
    for word in normalize(text).words:
        assert word.replace("_", "").isalnum()
    assert "*" not in expression and ":" not in expression and "NEAR" not in expression.replace('"near"', "")


def test_the_work_is_bounded():
    huge = "Traceback (most recent call last):\n" + "word " * 100_000 + "\nValueError: " + "x " * 50_000
    query = normalize(huge)
    assert len(query.groups) <= MAX_TERMS
    assert len(normalize("w" * (MAX_TEXT * 10)).words[0]) <= MAX_TEXT
    many = normalize(" ".join(f"word{n}x" for n in range(100)))
    assert len(many.groups) == MAX_TERMS and many.truncated


def test_a_message_without_its_exception_name_is_still_read_as_pasted():
    assert normalize(
        "Given groups=1, weight of size [16, 3, 5, 5], expected input[1, 128, 128, 3] to have 3 channels"
    ).pasted
    assert not normalize("Embedding output shape (None, 10, 64)").pasted, "a short question quoting a shape"
    assert not normalize("how many conv and maxpool layers for a 28x28 image").pasted


def test_only_a_pasted_message_falls_back_to_any_word():
    assert normalize("RuntimeError: alpha beta gamma delta").any_fallback
    assert not normalize("<img src=x onerror=alert(1)> and more words").any_fallback
    assert not normalize("RuntimeError: alpha beta").any_fallback, "too few words to mean anything alone"
