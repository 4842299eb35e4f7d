"""The home page (search box, facets with counts, questions with their layer tags) and the answer page's
Keras/PyTorch formulas side by side."""

from __future__ import annotations

from tests.web.pagetools import SLUGS, Page, slugs_about


def test_home_has_search_tools_facets_and_tagged_questions(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    page = Page(html)
    assert 'role="search"' in html and 'action="/search"' in html and '<label for="home-q">' in html
    assert 'href="/layers"' in html and 'href="/trace"' in html
    data = client.get("/index.json").get_json()
    assert [q["slug"] for q in data["questions"]] != [] and sorted(q["slug"] for q in data["questions"]) == SLUGS
    gan = next(q for q in data["questions"] if q["slug"] == "keras-gan-generator-shapes")
    assert [t["key"] for t in gan["tags"]] == gan["layers"]
    assert {"url": "/layers/keras/Conv2DTranspose"}.items() <= next(
        t for t in gan["tags"] if t["name"] == "Conv2DTranspose"
    ).items()
    for q in data["questions"]:
        for t in q["tags"]:
            assert f'href="{t["url"]}"' in html
    frameworks = {f["framework"]: f["count"] for f in data["framework_facets"]}
    assert frameworks == {fw: len(slugs_about(fw)) for fw in ("keras", "pytorch")}
    lstm = next(lt for lt in data["layer_types"] if lt["key"] == "keras/LSTM")
    assert lstm["count"] == len(slugs_about("keras", "LSTM")) and lstm["url"] == "/?framework=keras&layer=LSTM"
    assert f'href="{lstm["url"]}"'.replace("&", "&amp;") in html
    assert page.h1


def test_home_facets_narrow_and_unselect(client):
    data = client.get("/index.json?framework=keras&layer=LSTM").get_json()
    assert sorted(q["slug"] for q in data["questions"]) == slugs_about("keras", "LSTM")
    assert "lstm-input-shape-timesteps-features" in slugs_about("keras", "LSTM")
    lstm = next(lt for lt in data["layer_types"] if lt["key"] == "keras/LSTM")
    assert lstm["selected"] and lstm["url"] == "/?framework=keras"
    keras = next(f for f in data["framework_facets"] if f["framework"] == "keras")
    assert keras["selected"] and keras["url"] == "/?layer=LSTM"
    html = client.get("/?framework=keras&layer=LSTM").get_data(as_text=True)
    assert "show all" in html


def test_answer_page_shows_keras_and_pytorch_side_by_side(client):
    data = client.get("/questions/keras-conv1d-output-shape.json").get_json()
    conv1d, twin = data["formulas"]
    assert conv1d["key"] == "keras/Conv1D" and conv1d["twin"] == {"key": "pytorch/Conv1d", "listed": True}
    assert twin["beside"] == "keras/Conv1D"
    html = client.get("/questions/keras-conv1d-output-shape").get_data(as_text=True)
    assert html.count('<div class="pair has-twin">') == 1
    assert html.index('data-layer-key="keras/Conv1D"') < html.index('data-layer-key="pytorch/Conv1d"')
    # The GAN lists Keras layers only: the PyTorch equivalents are added beside them.
    data = client.get("/questions/keras-gan-generator-shapes.json").get_json()
    twins = {g["key"]: g["twin"]["key"] for g in data["formulas"] if g["twin"]}
    assert twins == {
        "keras/Conv2DTranspose": "pytorch/ConvTranspose2d",
        "keras/Conv2D": "pytorch/Conv2d",
        "keras/Dense": "pytorch/Linear",
    }
    assert all(g["twin"]["listed"] is False and g["twin"]["formulas"] for g in data["formulas"])
    html = client.get("/questions/keras-gan-generator-shapes").get_data(as_text=True)
    assert 'data-layer-key="pytorch/ConvTranspose2d"' in html
    # Four layers, two per framework: two rows.
    data = client.get("/questions/strided-conv-vs-max-pooling.json").get_json()
    rows = [(g["key"], g["twin"]["key"]) for g in data["formulas"] if not g["beside"]]
    assert rows == [("keras/Conv2D", "pytorch/Conv2d"), ("keras/MaxPooling2D", "pytorch/MaxPool2d")]


def test_answer_page_legend_and_live_evaluator_hooks(client):
    html = client.get("/questions/keras-conv1d-output-shape").get_data(as_text=True)
    assert "What the symbols mean" in html
    assert "data-evaluator" in html and 'data-api="/api/v1/evaluate"' in html
    assert html.count('<script src="/static/app.js" defer></script>') == 1
    for symbol in ("L_in", "k", "s", "p", "d"):
        assert f'<span class="visually-hidden"> ({symbol})</span>' in html


def test_nav_marks_the_section_of_sub_pages(client):
    html = client.get("/layers/keras/Dense").get_data(as_text=True)
    assert '<a href="/layers" aria-current="page">Layers</a>' in html
    html = client.get("/questions/keras-conv1d-output-shape").get_data(as_text=True)
    assert 'aria-current="page"' not in html.split("</nav>")[0]  # an answer page is in no section of the nav
