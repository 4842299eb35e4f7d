"""The explainer page (/explain) and its JSON twin: the same dict, the answer shown, bad input a 400 naming the field."""

from __future__ import annotations

import pytest

from tests.engine.test_explain_corpus import WITH_CODE

MAT = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x9216 and 4096x10)"


def test_the_empty_page_and_its_twin(client):
    html = client.get("/explain")
    data = client.get("/explain.json")
    assert html.status_code == data.status_code == 200
    assert data.get_json()["answer"] is None and data.get_json()["errors"] == {}
    page = html.get_data(as_text=True)
    assert '<textarea id="x-message" name="message"' in page and 'name="code"' in page and 'name="input_shape"' in page
    assert 'action="/explain"' in page


def test_a_pasted_message_is_explained_in_html_and_json(client):
    html = client.post("/explain", data={"message": MAT}).get_data(as_text=True)
    data = client.post("/explain.json", data={"message": MAT}).get_json()
    answer = data["answer"]
    assert answer["family"] == "in_features_mismatch"
    assert answer["summary"] in html.replace("&#39;", "'").replace("&quot;", '"') or "nn.Linear(4096, 10)" in html
    assert "Input features of a dense layer" in html
    assert "<math" in html  # the formula rendered as MathML
    assert "9216" in html and 'data-verified="false"' in html
    assert "Checked on the layer alone" in html
    # The permalink (GET) answers the same.
    again = client.get(data["links"]["json"]).get_json()
    assert again["answer"]["numbers"] == answer["numbers"]
    for question in answer["questions"]:
        assert client.get(question["url"]).status_code == 200


def test_with_code_the_failing_layer_is_marked_and_the_fix_verified(client):
    item = next(i for i in WITH_CODE if i["id"] == "torchinfo-269")
    form = {"message": item["message"], "code": item["code"], "input_shape": "1, 1, 13"}
    data = client.post("/explain.json", data=form).get_json()
    assert data["answer"]["layer"]["name"] == "model.7"
    html = client.post("/explain", data=form).get_data(as_text=True)
    assert "data-failing" in html and 'data-verified="true"' in html
    assert "The layer that fails" in html


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"message": "x" * 20_001}, "message"),
        ({"message": "x", "code": "y" * 20_001}, "code"),
        ({"message": "x", "framework": "jax"}, "framework"),
        ({"message": "x", "input_shape": "3, [oops"}, "input_shape"),
        ({"message": "", "code": "nn.Linear(3, 4)"}, "message"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_in_both(client, form, field):
    html = client.post("/explain", data=form)
    data = client.post("/explain.json", data=form)
    assert html.status_code == data.status_code == 400
    assert field in data.get_json()["errors"] and data.get_json()["answer"] is None
    assert f'id="x-{"input" if field == "input_shape" else field}-error"' in html.get_data(as_text=True)


def test_linked_from_home_layer_pages_and_failed_traces(client):
    assert 'href="/explain"' in client.get("/").get_data(as_text=True)
    layer = client.get("/layers/pytorch/Linear").get_data(as_text=True)
    assert 'href="/explain?framework=pytorch"' in layer
    failed = client.get(
        "/trace?framework=pytorch&input_shape=1,3&layer=Linear&params=in_features%3D4,+out_features%3D2"
    ).get_data(as_text=True)
    assert "Explain this error" in failed
    link = failed.split("Explain this error")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    explained = client.get(link.replace("/explain?", "/explain.json?")).get_json()
    assert explained["answer"]["family"] == "in_features_mismatch"
    assert explained["answer"]["numbers"]["received"] == 3


def test_the_nav_names_the_explainer(client):
    assert ">Explain an error</a>" in client.get("/explain").get_data(as_text=True)


def test_a_failed_model_trace_posts_its_error_and_code_to_the_explainer(client):
    import html
    import re

    item = next(i for i in WITH_CODE if i["id"] == "androidkt-mat1-mat2")
    page = client.post("/trace", data={"code": item["code"], "model_input": "2, 1, 28, 28"}).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/explain".*?</form>', page, re.S).group(0)
    fields = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(r'name="(\w+)" value="([^"]*)"', form)}
    assert fields["code"] == item["code"] and fields["input_shape"] == "2, 1, 28, 28"
    answer = client.post("/explain.json", data=fields).get_json()["answer"]
    assert answer["family"] == "in_features_mismatch" and answer["layer"]["name"] == "out"
    assert answer["fixes"][0]["verified"]
