"""kb.content: the parser's validation, loading a directory, and the Markdown sanitizer."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
import yaml

from kb.content import ContentError, Entry, Example, load_entries, parse_entry, render_markdown

SLUG = "good-entry"

# A complete, valid entry using only layers the engine has always had (Conv1D, Dense).
GOOD_META = {
    "slug": SLUG,
    "title": "Why is the output (None, 10, 64)?",
    "summary": "One sentence for lists.",
    "source": "community Q&A",
    "tags": ["convolution", "keras"],
    "layers": [{"framework": "keras", "name": "Convolution1D"}, {"framework": "keras", "name": "Dense"}],
    "formulas": ["keras/Conv1D"],
    "examples": [
        {
            "name": "Conv1D(64, 3, padding='same') on (10, 32)",
            "framework": "keras",
            "layer": "Conv1D",
            "params": {"filters": 64, "kernel_size": 3, "padding": "same"},
            "input_shape": [None, 10, 32],
            "expect": {"output_shape": [None, 10, 64], "param_count": 6208},
            "evaluator": True,
        },
        {
            "name": "A small stack",
            "framework": "keras",
            "input_shape": [None, 10, 32],
            "trace": [
                {"layer": "Conv1D", "params": {"filters": 64, "kernel_size": 3, "padding": "same"}},
                {"layer": "Dense", "params": {"units": 8}},
            ],
            "expect": {
                "output_shape": [None, 10, 8],
                "total_params": 6728,
                "layer_shapes": [[None, 10, 64], [None, 10, 8]],
                "layer_params": [6208, 520],
            },
        },
    ],
}
QUESTION = "Why is it `(None, 10, 64)`?\n\n```python\nmodel.add(Conv1D(64, 3, padding='same'))\n```\n"
ANSWER = "## Short answer\n\nBatch, steps, filters.\n"
GOOD_BODY = f"{QUESTION}\n<!-- answer -->\n\n{ANSWER}"


def front(meta) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def write(tmp_path, meta=None, body=GOOD_BODY, name=None, text=None):
    meta = GOOD_META if meta is None else meta
    if name is None:
        slug = meta.get("slug") if isinstance(meta, dict) else None
        name = f"{slug if isinstance(slug, str) else SLUG}.md"
    path = tmp_path / name
    path.write_text(front(meta) + body if text is None else text, encoding="utf-8")
    return path


def meta_with(**changes):
    meta = copy.deepcopy(GOOD_META)
    for key, value in changes.items():
        if value is ...:
            del meta[key]
        else:
            meta[key] = value
    return meta


def example_with(n=0, **changes):
    meta = copy.deepcopy(GOOD_META)
    for key, value in changes.items():
        if value is ...:
            del meta["examples"][n][key]
        else:
            meta["examples"][n][key] = value
    return meta


def broken(tmp_path, *fragments, **kw) -> ContentError:
    """Parse a file that must be rejected; check the error names the file and the problem."""
    path = write(tmp_path, **kw)
    with pytest.raises(ContentError) as info:
        parse_entry(path)
    err = info.value
    assert err.path == str(path)
    assert str(err) == f"{path}: {err.message}"
    for fragment in fragments:
        assert fragment in err.message, err.message
    return err


# ---- a good file ---------------------------------------------------------------------------


def test_good_file_parses(tmp_path):
    path = write(tmp_path)
    entry = parse_entry(path)
    assert isinstance(entry, Entry)
    assert entry.slug == SLUG
    assert entry.title == GOOD_META["title"]
    assert entry.summary == GOOD_META["summary"]
    assert entry.source == "community Q&A"
    assert entry.tags == ("convolution", "keras")
    assert entry.path == str(path)
    # Layer names resolve to the engine's canonical names (Convolution1D is an alias of Conv1D).
    assert entry.layers == (("keras", "Conv1D"), ("keras", "Dense"))
    assert entry.formulas == ("keras/Conv1D",)
    assert entry.question_md.strip() == QUESTION.strip()
    assert entry.answer_md.strip() == ANSWER.strip()
    assert "<!-- answer -->" not in entry.question_md + entry.answer_md


def test_checksum_is_sha256_of_the_text(tmp_path):
    path = write(tmp_path)
    entry = parse_entry(path)
    assert entry.checksum() == hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert parse_entry(path).checksum() != entry.checksum()


def test_examples_parse_into_requests_and_run(tmp_path):
    entry = parse_entry(write(tmp_path))
    single, stack = entry.examples
    assert isinstance(single, Example)
    assert (single.kind, single.framework, single.layer, single.evaluator) == ("evaluate", "keras", "Conv1D", True)
    assert single.layers is None
    assert single.request() == {
        "framework": "keras",
        "layer": "Conv1D",
        "params": {"filters": 64, "kernel_size": 3, "padding": "same"},
        "input_shape": [None, 10, 32],
    }
    result = single.run()
    assert result["output_shape"] == [None, 10, 64]
    assert result["param_count"] == 6208

    assert (stack.kind, stack.layer, stack.evaluator) == ("trace", None, False)
    request = stack.request()
    assert set(request) == {"framework", "input_shape", "layers"}
    assert [step["layer"] for step in request["layers"]] == ["Conv1D", "Dense"]
    result = stack.run()
    assert result["output_shape"] == [None, 10, 8]
    assert result["total_params"] == 6728
    assert entry.evaluator_example is single


def test_request_is_a_copy(tmp_path):
    example = parse_entry(write(tmp_path)).examples[0]
    body = example.request()
    body["params"]["filters"] = 1
    assert example.request()["params"]["filters"] == 64


def test_torch_alias_and_defaults(tmp_path):
    meta = copy.deepcopy(GOOD_META)
    meta["layers"] = [{"framework": "torch", "name": "nn.Conv2d"}]
    meta["formulas"] = ["pytorch/Conv2d"]
    meta["tags"] = []
    meta["examples"] = [
        {
            "name": "Conv2d on 5x5",
            "framework": "torch",
            "layer": "Conv2d",
            "params": {"in_channels": 1, "out_channels": 1, "kernel_size": 3},
            "input_shape": [1, 1, 5, 5],
            "expect": {"output_shape": [1, 1, 3, 3]},
            "evaluator": True,
        }
    ]
    entry = parse_entry(write(tmp_path, meta))
    assert entry.layers == (("pytorch", "Conv2d"),)
    assert entry.tags == ()
    assert entry.examples[0].framework == "pytorch"
    assert entry.examples[0].run()["output_shape"] == [1, 1, 3, 3]


# ---- broken files: each names the file and the problem -----------------------------------


def test_error_names_the_file_and_the_problem(tmp_path):
    err = broken(tmp_path, "unknown key", "colour", meta=meta_with(colour="blue"))
    assert str(err).startswith(str(tmp_path / f"{SLUG}.md") + ": ")


def test_no_front_matter(tmp_path):
    broken(tmp_path, "must start with a '---' line", text="# Just Markdown\n\n<!-- answer -->\n\nText.\n")


def test_front_matter_not_closed(tmp_path):
    broken(tmp_path, "not closed", text="---\nslug: good-entry\ntitle: x\n")


def test_invalid_yaml(tmp_path):
    broken(tmp_path, "invalid YAML", text="---\nslug: [unclosed\n---\nQ\n<!-- answer -->\nA\n")


def test_yaml_is_read_safely(tmp_path):
    text = "---\nslug: !!python/object/apply:os.system ['true']\n---\nQ\n<!-- answer -->\nA\n"
    broken(tmp_path, "invalid YAML", text=text)


def test_front_matter_not_a_mapping(tmp_path):
    broken(tmp_path, "front matter must be a mapping", text="---\n- a\n- b\n---\nQ\n<!-- answer -->\nA\n")


def test_empty_front_matter(tmp_path):
    broken(tmp_path, "missing required key", text="---\n---\nQ\n<!-- answer -->\nA\n")


def test_unknown_front_matter_key(tmp_path):
    broken(tmp_path, "front matter has unknown key(s) ['author']", meta=meta_with(author="someone"))


@pytest.mark.parametrize("key", ["slug", "title", "summary", "source", "tags", "layers", "formulas", "examples"])
def test_missing_field(tmp_path, key):
    broken(tmp_path, "missing required key", repr(key), meta=meta_with(**{key: ...}), name=f"{SLUG}.md")


@pytest.mark.parametrize("key", ["title", "summary", "source"])
def test_empty_string_field(tmp_path, key):
    broken(tmp_path, key, "non-empty string", meta=meta_with(**{key: "  "}))


@pytest.mark.parametrize("slug", ["Bad-Slug", "ab", "under_score", "x" * 81, "spa ce", 123])
def test_slug_pattern(tmp_path, slug):
    broken(tmp_path, "slug must match", meta=meta_with(slug=slug), name=f"{SLUG}.md")


def test_slug_must_match_file_name(tmp_path):
    broken(tmp_path, "slug 'good-entry' must equal the file name", "'other-name'", name="other-name.md")


def test_source_is_credited(tmp_path):
    broken(tmp_path, "source must be one of", meta=meta_with(source="Stack Overflow"))


def test_tags_must_be_words(tmp_path):
    broken(tmp_path, "tags must be a list", meta=meta_with(tags="convolution"))


def test_unknown_layer(tmp_path):
    meta = meta_with(layers=[{"framework": "keras", "name": "NoSuchLayer"}])
    broken(tmp_path, "layers[0]", "NoSuchLayer", meta=meta)


def test_unknown_framework(tmp_path):
    meta = meta_with(layers=[{"framework": "jax", "name": "Dense"}])
    broken(tmp_path, "layers[0]", "framework", meta=meta)


def test_layer_item_unknown_key(tmp_path):
    meta = meta_with(layers=[{"framework": "keras", "name": "Dense", "version": 3}])
    broken(tmp_path, "layers[0] has unknown key(s) ['version']", meta=meta)


def test_layers_must_not_be_empty(tmp_path):
    broken(tmp_path, "layers must be a non-empty list", meta=meta_with(layers=[]))


def test_layer_listed_twice(tmp_path):
    meta = meta_with(layers=[{"framework": "keras", "name": "Conv1D"}, {"framework": "keras", "name": "Convolution1D"}])
    broken(tmp_path, "keras/Conv1D is listed twice", meta=meta)


@pytest.mark.parametrize(
    ("key", "fragment"),
    [("keras/NoSuchLayer", "NoSuchLayer"), ("Conv1D", "'<framework>/<layer>'"), ("jax/Dense", "framework")],
)
def test_formula_key_must_resolve(tmp_path, key, fragment):
    broken(tmp_path, "formulas[0]", fragment, meta=meta_with(formulas=[key]))


def test_no_evaluator_example(tmp_path):
    broken(tmp_path, "exactly one example must have evaluator: true, found 0", meta=example_with(0, evaluator=...))


def test_two_evaluator_examples(tmp_path):
    meta = example_with(1, evaluator=True)
    broken(tmp_path, "exactly one example must have evaluator: true, found 2", meta=meta)


def test_evaluator_must_be_a_single_layer(tmp_path):
    meta = example_with(1, evaluator=True)
    meta["examples"][0]["evaluator"] = False
    broken(tmp_path, "evaluator example must be a single layer", meta=meta)


def test_evaluator_must_be_boolean(tmp_path):
    broken(tmp_path, "evaluator must be true or false", meta=example_with(0, evaluator="yes"))


def test_examples_must_not_be_empty(tmp_path):
    broken(tmp_path, "examples must be a non-empty list", meta=meta_with(examples=[]))


def test_unknown_example_key(tmp_path):
    broken(tmp_path, "examples[0] has unknown key(s) ['comment']", meta=example_with(0, comment="x"))


def test_params_on_a_trace_example_is_unknown(tmp_path):
    broken(tmp_path, "examples[1] has unknown key(s) ['params']", meta=example_with(1, params={"units": 2}))


@pytest.mark.parametrize("key", ["name", "framework", "layer", "input_shape", "expect"])
def test_missing_example_field(tmp_path, key):
    broken(tmp_path, "examples[0]", "missing required key", repr(key), meta=example_with(0, **{key: ...}))


def test_example_layer_and_trace(tmp_path):
    broken(tmp_path, "both 'layer' and 'trace'", meta=example_with(1, layer="Dense"))


def test_example_unknown_layer(tmp_path):
    broken(tmp_path, "examples[0]", ".layer", "Conv1X", meta=example_with(0, layer="Conv1X"))


def test_trace_unknown_layer(tmp_path):
    meta = copy.deepcopy(GOOD_META)
    meta["examples"][1]["trace"][1]["layer"] = "Dense2"
    broken(tmp_path, "trace[1].layer", "Dense2", meta=meta)


def test_trace_step_unknown_key(tmp_path):
    meta = copy.deepcopy(GOOD_META)
    meta["examples"][1]["trace"][0]["activation"] = "relu"
    broken(tmp_path, "trace[0] has unknown key(s) ['activation']", meta=meta)


def test_empty_trace(tmp_path):
    broken(tmp_path, "trace must be a non-empty list", meta=example_with(1, trace=[]))


def test_example_unknown_param(tmp_path):
    meta = example_with(0, params={"filters": 64, "kernel_size": 3, "paddding": "same"})
    broken(tmp_path, "examples[0]", ".params", "paddding", meta=meta)


def test_example_missing_param(tmp_path):
    broken(tmp_path, "examples[0]", "needs filters", meta=example_with(0, params={"kernel_size": 3}))


def test_example_bad_input_shape(tmp_path):
    broken(tmp_path, "examples[0]", "input_shape", meta=example_with(0, input_shape=[None, 0, 32]))
    broken(tmp_path, "examples[0]", "input_shape", meta=example_with(0, input_shape="(10, 32)"))


def test_duplicate_example_names(tmp_path):
    broken(tmp_path, "example names must be unique", meta=example_with(1, name=GOOD_META["examples"][0]["name"]))


@pytest.mark.parametrize(
    ("n", "expect", "fragment"),
    [
        (0, {"output_shape": [None, 10, 64], "total_params": 6208}, "unknown key(s) ['total_params']"),
        (0, {"output": [None, 10, 64]}, "unknown key(s) ['output']"),
        (1, {"param_count": 6728}, "unknown key(s) ['param_count']"),
        (0, {}, "must name at least one"),
        (0, {"param_count": "6208"}, "param_count must be a non-negative integer"),
        (0, {"param_count": True}, "param_count must be a non-negative integer"),
        (0, {"output_shape": "(None, 10, 64)"}, "output_shape must be a list of dimensions"),
        (0, {"weights": {"kernel": 3}}, "weights.kernel must be a list of dimensions"),
        (1, {"layer_shapes": [[None, 10, 64]]}, "one shape per layer (2)"),
        (1, {"layer_params": [6208]}, "one count per layer (2)"),
    ],
)
def test_expect_keys_and_values(tmp_path, n, expect, fragment):
    broken(tmp_path, f"examples[{n}]", "expect", fragment, meta=example_with(n, expect=expect))


def test_missing_answer_marker(tmp_path):
    broken(tmp_path, "<!-- answer -->", "found 0", body=QUESTION + "\n" + ANSWER)


def test_two_answer_markers(tmp_path):
    broken(tmp_path, "found 2", body=GOOD_BODY + "\n<!-- answer -->\nMore.\n")


def test_empty_question(tmp_path):
    broken(tmp_path, "the question", "is empty", body="\n<!-- answer -->\n\n" + ANSWER)


def test_empty_answer(tmp_path):
    broken(tmp_path, "the answer", "is empty", body=QUESTION + "\n<!-- answer -->\n\n")


def test_not_utf8(tmp_path):
    path = tmp_path / f"{SLUG}.md"
    path.write_bytes(front(GOOD_META).encode() + b"\xff\xfe broken\n<!-- answer -->\nA\n")
    with pytest.raises(ContentError) as info:
        parse_entry(path)
    assert info.value.path == str(path)
    assert "not valid UTF-8" in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(ContentError) as info:
        parse_entry(tmp_path / "nowhere.md")
    assert info.value.path == str(tmp_path / "nowhere.md")
    assert "cannot read" in info.value.message


# ---- loading a directory -------------------------------------------------------------------


def test_load_entries_sorted_by_slug(tmp_path):
    for slug in ("zeta-entry", "alpha-entry", "mid-entry"):
        write(tmp_path, meta_with(slug=slug))
    (tmp_path / "notes.txt").write_text("not an entry", encoding="utf-8")
    hidden = tmp_path / ".drafts"
    hidden.mkdir()
    (hidden / "broken.md").write_text("not an entry", encoding="utf-8")
    assert [e.slug for e in load_entries(tmp_path)] == ["alpha-entry", "mid-entry", "zeta-entry"]


def test_load_entries_duplicate_slug(tmp_path):
    write(tmp_path)
    sub = tmp_path / "archive"
    sub.mkdir()
    dupe = write(sub)
    with pytest.raises(ContentError) as info:
        load_entries(tmp_path)
    first = tmp_path / f"{SLUG}.md"
    assert {info.value.path, info.value.message.rsplit("(also in ", 1)[-1].rstrip(")")} == {str(first), str(dupe)}
    assert "duplicate slug 'good-entry'" in info.value.message


def test_load_entries_stops_at_a_broken_file(tmp_path):
    write(tmp_path)
    bad = write(tmp_path, meta_with(slug="bad-entry", layers=[{"framework": "keras", "name": "Nope"}]))
    with pytest.raises(ContentError) as info:
        load_entries(tmp_path)
    assert info.value.path == str(bad)


def test_load_entries_missing_directory(tmp_path):
    with pytest.raises(ContentError):
        load_entries(tmp_path / "absent")


# ---- render_markdown: Markdown -> sanitized HTML -------------------------------------------


def test_render_keeps_headings_tables_code_and_links():
    html = render_markdown(
        "## Shapes\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        "```python\nx = model(a < b)\n```\n\n"
        "Inline `code` and a [link](https://example.com/page) and **bold**.\n"
    )
    assert "<h2>Shapes</h2>" in html
    assert "<table>" in html and "<th" in html and "<td" in html
    # Alignment as classes: the CSP allows no style attribute.
    assert '<th class="align-left">a</th>' in html and '<td class="align-right">2</td>' in html
    assert "style" not in html
    css = (Path(__file__).resolve().parents[1] / "kb" / "static" / "style.css").read_text(encoding="utf-8")
    assert all(f"td.align-{side} {{ text-align: {side}; }}" in css for side in ("left", "center", "right"))
    assert '<pre><code class="language-python">x = model(a &lt; b)' in html
    assert "<code>code</code>" in html
    assert '<a href="https://example.com/page" rel="noopener">link</a>' in html
    assert "<strong>bold</strong>" in html


def test_render_strips_scripts():
    html = render_markdown("Hello\n\n<script>alert('x')</script>\n\n<style>body{}</style>\n\nbye")
    assert "<script" not in html and "alert" not in html
    assert "<style" not in html
    assert "Hello" in html and "bye" in html


def test_render_strips_event_handlers_and_bad_urls():
    html = render_markdown(
        '<img src="x" onerror="alert(1)">\n\n'
        '<a href="javascript:alert(2)" onclick="steal()">click</a>\n\n'
        '<p onmouseover="evil()" style="position:fixed">hover</p>\n\n'
        "[md link](javascript:alert(3))\n"
    )
    lowered = html.lower()
    assert "onerror" not in lowered and "onclick" not in lowered and "onmouseover" not in lowered
    assert "javascript:" not in lowered
    assert "<img" not in lowered
    assert "position" not in lowered
    assert "click" in html and "hover" in html


def test_render_drops_comments_and_unknown_code_classes():
    html = render_markdown('<!-- answer -->\n\n<code class="x onload">c</code>\n')
    assert "<!--" not in html
    assert 'class="x' not in html


def test_render_empty():
    assert render_markdown("") == ""
