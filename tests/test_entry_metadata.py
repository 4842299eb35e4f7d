"""The entry metadata of issue 11: sources, families, error messages and related entries: parsed and
validated (kb check), stored (kb sync), searchable, and shown on the page, its .json twin and the API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from kb.config import CONTENT_DIR
from kb.content import FAMILIES, ContentError, ErrorMessage, load_entries, parse_entry
from kb.extensions import db
from kb.models import Question, QuestionError, QuestionFamily, RelatedQuestion
from kb.search import questions_for_family, search
from kb.sync import sync_directory
from tests.test_content import front, meta_with, write

CONV = "keras-conv1d-output-shape"
LSTM = "lstm-input-shape-timesteps-features"
EMBEDDING = "keras-embedding-output-shape"

METADATA = {
    "sources": ["https://stackoverflow.com/questions/1/a", "https://github.com/keras-team/keras/issues/2"],
    "families": ["in_features_mismatch", "rank_mismatch"],
    "errors": [
        {
            "framework": "pytorch",
            "versions": "1.9-",
            "message": "mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)",
        },
        {"framework": "keras", "message": "Input 0 of layer dense is incompatible with the layer"},
    ],
}


def test_metadata_parses(tmp_path):
    entry = parse_entry(write(tmp_path, meta_with(**METADATA)))
    assert entry.sources == tuple(METADATA["sources"])
    assert entry.families == ("in_features_mismatch", "rank_mismatch")
    assert entry.errors == (
        ErrorMessage("pytorch", "mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)", "1.9-"),
        ErrorMessage("keras", "Input 0 of layer dense is incompatible with the layer", None),
    )
    assert entry.related == ()


def test_metadata_is_optional(tmp_path):
    entry = parse_entry(write(tmp_path))
    assert entry.sources == entry.families == entry.errors == entry.related == ()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"sources": "https://stackoverflow.com/q/1"}, "sources must be a list"),
        ({"sources": ["http://stackoverflow.com/q/1"]}, "sources[0] must be an https:// address"),
        ({"sources": ["javascript:alert(1)"]}, "sources[0] must be an https:// address"),
        ({"sources": ["https://a.example.org/x"] * 2}, "more than once"),
        ({"sources": [f"https://a.example.org/{n}" for n in range(6)]}, "at most 5 items"),
        ({"families": ["shape_problem"]}, "families[0] must be one of"),
        ({"families": ["rank_mismatch", "rank_mismatch"]}, "more than once"),
        ({"errors": [{"framework": "jax", "message": "x"}]}, "errors[0].framework must be 'keras' or 'pytorch'"),
        ({"errors": [{"framework": "keras"}]}, "errors[0] is missing required key(s) ['message']"),
        ({"errors": [{"framework": "keras", "message": " "}]}, "errors[0].message must be a non-empty string"),
        ({"errors": [{"framework": "keras", "message": "m", "version": "2"}]}, "unknown key(s) ['version']"),
        ({"errors": [{"framework": "keras", "message": "m", "versions": "latest"}]}, "errors[0].versions must be"),
        ({"errors": [{"framework": "keras", "message": "m", "versions": 2.1}]}, "errors[0].versions must be"),
        ({"related": ["good-entry"]}, "related[0] names the entry itself"),
        ({"related": ["Not A Slug"]}, "related[0] must be an entry's slug"),
    ],
)
def test_metadata_is_validated(tmp_path, changes, fragment):
    with pytest.raises(ContentError) as err:
        parse_entry(write(tmp_path, meta_with(**changes)))
    assert fragment in err.value.message
    assert err.value.path.endswith("good-entry.md")


def test_versions_accept_a_version_and_ranges(tmp_path):
    for versions in ("2", "2.1", "0.4-1.7", "2.0-", "1.9 - 2.4"):
        errors = [{"framework": "pytorch", "message": "m", "versions": versions}]
        assert parse_entry(write(tmp_path, meta_with(errors=errors))).errors[0].versions == versions.replace(" ", "")


def test_related_entries_must_exist(tmp_path):
    write(tmp_path, meta_with(related=["other-entry"]))
    with pytest.raises(ContentError) as err:
        load_entries(tmp_path)
    assert "related names entries that do not exist: ['other-entry']" in err.value.message
    write(tmp_path, meta_with(slug="other-entry", related=["good-entry"]))
    assert [e.related for e in load_entries(tmp_path)] == [("other-entry",), ("good-entry",)]


def test_every_family_is_a_word():
    assert len(set(FAMILIES)) == len(FAMILIES) == 13
    assert all(f.replace("_", "").isalpha() and f.islower() for f in FAMILIES)


# ---- stored by kb sync, and shown --------------------------------------------------------------


def _add_metadata(path: Path, meta: dict) -> None:
    """Put metadata keys into a content file's front matter (after its opening line)."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    path.write_text("---\n" + front(meta)[4:-4] + text[4:], encoding="utf-8")


@pytest.fixture
def content(tmp_path) -> Path:
    target = tmp_path / "content"
    target.mkdir()
    for slug in (CONV, LSTM, EMBEDDING):  # three entries without the metadata they carry: the test sets its own
        path = target / f"{slug}.md"
        shutil.copyfile(CONTENT_DIR / f"{slug}.md", path)
        entry = parse_entry(path)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        keep, skipping = [], False
        for line in lines:
            if line.split(":")[0] in ("sources", "families", "errors", "related") and not line.startswith(" "):
                skipping = True
                continue
            if skipping and line.startswith((" ", "- ")):
                continue
            skipping = False
            keep.append(line)
        path.write_text("".join(keep), encoding="utf-8")
        assert parse_entry(path).examples == entry.examples
    _add_metadata(target / f"{CONV}.md", {**METADATA, "related": [LSTM, EMBEDDING]})
    _add_metadata(target / f"{LSTM}.md", {"families": ["rank_mismatch"], "related": [CONV]})
    return target


def _rows(model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).all()


def test_sync_stores_the_metadata(migrated_app, content):
    with migrated_app.app_context():
        sync_directory(content)
        q = db.session.scalar(sa.select(Question).where(Question.slug == CONV))
        assert q.sources == METADATA["sources"]
        assert [f.family for f in q.families] == ["in_features_mismatch", "rank_mismatch"]
        assert [(e.framework, e.versions, e.message) for e in q.errors] == [
            (e["framework"], e.get("versions"), e["message"]) for e in METADATA["errors"]
        ]
        assert q.errors_text == "\n".join(e["message"] for e in METADATA["errors"])
        assert [link.related.slug for link in q.related_links] == [LSTM, EMBEDDING]

        # Drop the related entries and one error; the rows follow, nothing is left behind.
        path = content / f"{CONV}.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace(f"- {LSTM}\n- {EMBEDDING}\n", f"- {EMBEDDING}\n"), "utf-8"
        )
        report = sync_directory(content)
        assert report.updated == [CONV]
        db.session.expire_all()
        q = db.session.scalar(sa.select(Question).where(Question.slug == CONV))
        assert [link.related.slug for link in q.related_links] == [EMBEDDING]
        assert len(_rows(RelatedQuestion, question_id=q.id)) == 1
        assert len(_rows(QuestionError, question_id=q.id)) == 2
        assert len(_rows(QuestionFamily, question_id=q.id)) == 2


def test_deleting_an_entry_removes_links_to_it(migrated_app, content):
    with migrated_app.app_context():
        sync_directory(content)
        (content / f"{LSTM}.md").unlink()
        with pytest.raises(ContentError, match="related names entries that do not exist"):
            sync_directory(content)  # CONV still points at it: nothing is written
        conv = content / f"{CONV}.md"
        conv.write_text(conv.read_text(encoding="utf-8").replace(f"- {LSTM}\n", ""), "utf-8")
        sync_directory(content)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RelatedQuestion)) == 1


def test_questions_for_family(migrated_app, content):
    with migrated_app.app_context(), migrated_app.test_request_context():
        sync_directory(content)
        assert [q["slug"] for q in questions_for_family("in_features_mismatch")] == [CONV]
        # CONV names rank_mismatch second, LSTM first: LSTM comes first.
        found = questions_for_family("rank_mismatch")
        assert [q["slug"] for q in found] == [LSTM, CONV]
        assert found[0]["url"] == f"/questions/{LSTM}" and found[0]["title"]
        assert questions_for_family("attention_heads") == []


def test_error_messages_are_searched(migrated_app, content):
    with migrated_app.app_context(), migrated_app.test_request_context():
        sync_directory(content)
        assert [i["slug"] for i in search("mat1 mat2 multiplied")["items"]] == [CONV]


@pytest.fixture
def client_with_metadata(app_factory, content):
    app = app_factory("migrated", SHAPEKB_CONTENT_DIR=str(content))
    with app.app_context():
        sync_directory(content)
    return app.test_client()


def test_page_and_twin_show_the_metadata(client_with_metadata):
    client = client_with_metadata
    page = client.get(f"/questions/{CONV}").get_data(as_text=True)
    data = client.get(f"/questions/{CONV}.json").get_json()
    assert data["sources"] == METADATA["sources"]
    assert data["families"] == METADATA["families"]
    assert data["errors"][0] == {
        "framework": "pytorch",
        "versions": "1.9-",
        "message": METADATA["errors"][0]["message"],
    }
    assert [r["slug"] for r in data["related"]] == [LSTM, EMBEDDING]
    for url in METADATA["sources"]:
        assert f'href="{url}"' in page
    assert "mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)" in page
    assert page.index('id="related-h"') > page.index('id="examples-h"'), "related entries close the page"
    for related in data["related"]:
        assert f'href="{related["url"]}"' in page and related["title"].replace("'", "&#39;") in page
    api = client.get(f"/api/v1/questions/{CONV}").get_json()
    assert {k: api[k] for k in ("sources", "families", "errors")} == {
        k: data[k] for k in ("sources", "families", "errors")
    }
    assert [r["slug"] for r in api["related"]] == [LSTM, EMBEDDING]


def test_a_page_without_metadata_has_no_empty_sections(client_with_metadata):
    page = client_with_metadata.get(f"/questions/{EMBEDDING}").get_data(as_text=True)
    assert 'id="errors-h"' not in page and 'id="related-h"' not in page


def test_formulas_must_have_something_to_show(tmp_path):
    meta = meta_with(
        layers=[{"framework": "keras", "name": "Conv1D"}, {"framework": "keras", "name": "Permute"}],
        formulas=["keras/Conv1D", "keras/Permute"],
    )
    with pytest.raises(ContentError, match="no general formulas for keras/Permute"):
        parse_entry(write(tmp_path, meta))
