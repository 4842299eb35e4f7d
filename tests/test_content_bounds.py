"""A content file cannot make `kb sync` hang or crash: `kb check` refuses it first, naming the file (issue 12).

A YAML alias bomb in a key the engine ignores passed `kb check` and then hung `kb sync` (which writes
the examples out as JSON); a Markdown list nested 500 deep failed `kb sync` with a bare RecursionError.
"""

from __future__ import annotations

import re
import time

import pytest

from kb.content import (
    MAX_FRONT_MATTER_ITEMS,
    MAX_MARKDOWN_NESTING,
    ContentError,
    load_entries,
    markdown_nesting,
    parse_entry,
    render_markdown,
)
from tests.conftest import make_app
from tests.test_content import GOOD_BODY, QUESTION, SLUG, front, meta_with

ANSWER_MARKER = "<!-- answer -->"


def _alias_bomb(levels: int = 9) -> str:
    """A YAML flow mapping whose last anchor stands for 10**levels values."""
    parts = ["b0: &b0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    parts += [f"b{n}: &b{n} [{', '.join([f'*b{n - 1}'] * 10)}]" for n in range(1, levels)]
    return "{" + ", ".join(parts) + "}"


def _with_dtype(tmp_path, value: str):
    """The good entry with `dtype: <value>` in its first example's params (a keyword Conv1D ignores)."""
    text = front(meta_with())
    match = re.search(r"\n( +)filters: 64\n", text)
    text = text[: match.end()] + f"{match.group(1)}dtype: {value}\n" + text[match.end() :]
    path = tmp_path / f"{SLUG}.md"
    path.write_text(text + GOOD_BODY, encoding="utf-8")
    return path


def _bomb_file(tmp_path):
    return _with_dtype(tmp_path, _alias_bomb())


def _deep_list_file(tmp_path, depth: int, indent: int = 4):
    nested = "".join(" " * (indent * n) + "- x\n" for n in range(depth))
    path = tmp_path / f"{SLUG}.md"
    path.write_text(front(meta_with()) + f"{QUESTION}\n{ANSWER_MARKER}\n\n{nested}", encoding="utf-8")
    return path


def _check(path):
    started = time.process_time()
    with pytest.raises(ContentError) as info:
        parse_entry(path)
    assert time.process_time() - started < 2
    assert info.value.path == str(path)
    return info.value


def test_a_yaml_alias_bomb_in_an_ignored_key_is_refused(tmp_path):
    err = _check(_bomb_file(tmp_path))
    assert str(MAX_FRONT_MATTER_ITEMS) in err.message and "aliases" in err.message


def test_a_self_referencing_yaml_alias_is_refused(tmp_path):
    with pytest.raises(ContentError):  # PyYAML refuses it, or the size bound does: never a hang
        parse_entry(_with_dtype(tmp_path, "&loop [*loop]"))


def test_aliases_used_a_few_times_are_fine(tmp_path):
    entry = parse_entry(_with_dtype(tmp_path, _alias_bomb(3)))
    assert entry.examples[0].params["dtype"]["b2"][0][0] == [1] * 10


@pytest.mark.parametrize("indent", [4, 2])
def test_a_markdown_list_nested_500_deep_is_refused(tmp_path, indent):
    err = _check(_deep_list_file(tmp_path, 500, indent))
    assert "the answer" in err.message and str(MAX_MARKDOWN_NESTING) in err.message


def test_lists_nested_on_one_line_count_too():
    assert markdown_nesting("- " * 500 + "x\n")[0] == 500
    assert markdown_nesting("> " * 40 + "x\n")[0] == 40
    assert markdown_nesting("1. 2. 3) x\n")[0] == 3
    # Not markers: emphasis, a rule, numbers, code in fences.
    assert markdown_nesting("**bold** text\n---\n1.5 is a number\n```\n" + " " * 200 + "code\n```\n") == (0, 0)


def test_nesting_at_the_bound_renders(tmp_path):
    path = _deep_list_file(tmp_path, MAX_MARKDOWN_NESTING // 2)
    entry = parse_entry(path)
    assert render_markdown(entry.answer_md).count("<ul>") == MAX_MARKDOWN_NESTING // 2


def test_kb_check_names_the_file_for_both(tmp_path):
    app = make_app("sqlite://")
    runner = app.test_cli_runner()
    for make in (_bomb_file, lambda d: _deep_list_file(d, 500)):
        directory = tmp_path / make.__name__.strip("_<>")
        directory.mkdir()
        path = make(directory)
        started = time.process_time()
        result = runner.invoke(args=["kb", "check", "--dir", str(directory)])
        assert time.process_time() - started < 5
        assert result.exit_code == 1 and str(path) in result.output
        with pytest.raises(ContentError):
            load_entries(directory)  # and so `kb sync`, which loads the same way, writes nothing
