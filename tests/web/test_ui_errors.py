"""404 and 500 pages in the site's style, HTML and JSON; every page of this module has its .json twin."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/layers",
        "/layers/keras/Dense",
        "/trace",
        "/trace?example=keras-gan-generator-shapes",
        "/search",
        "/search?q=lstm",
    ],
)
def test_every_page_has_a_json_twin_from_the_same_dict(client, path):
    html = client.get(path)
    base, _, query = path.partition("?")
    twin = client.get(f"{base}.json" + (f"?{query}" if query else ""))
    assert html.status_code == twin.status_code == 200
    assert html.content_type.startswith("text/html") and twin.content_type == "application/json"
    data = twin.get_json()
    assert data["links"]["json"].split("?")[0] == f"{base}.json"
    assert f'href="{data["links"]["json"]}"'.replace("&", "&amp;") in html.get_data(as_text=True)
    # Local CSS and JS only; nothing from another origin.
    text = html.get_data(as_text=True)
    assert "http://" not in text.replace("http://www.w3.org/1998/Math/MathML", "") and "https://" not in text
    assert "/static/ui.css" in text


def test_404_pages_in_the_site_style(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert 'class="site-header"' in html and "/layers" in html and "/search" in html
    assert 'role="search"' in html and '<label for="error-q">' in html  # a way on from a dead end
    r = client.get("/layers/keras/Nope.json")
    assert r.status_code == 404 and r.get_json()["status"] == 404


def test_500_pages_in_the_site_style(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    r = client.get("/boom-for-test")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert 'class="site-header"' in html and "Internal Server Error" in html and "boom" not in html


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.content_type.startswith("image/svg+xml")
