"""Read what a rendered page shows: forms, inputs, MathML, text (stdlib html.parser only)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from kb.config import CONTENT_DIR

# The seed's slugs, from the file names (no parsing at collection time).
SLUGS = sorted(p.stem for p in Path(CONTENT_DIR).glob("*.md"))


def slugs_about(framework: str, layer: str | None = None) -> list[str]:
    """The content entries that list a layer of `framework` (that layer, when given), sorted."""
    from kb.content import load_entries

    return sorted(
        entry.slug
        for entry in load_entries()
        if any(fw == framework and (layer is None or name == layer) for fw, name in entry.layers)
    )


def trace_example_slugs() -> list[str]:
    """One slug per trace example in the content, in the order the tracer lists them."""
    from kb.content import load_entries

    return [entry.slug for entry in load_entries() for example in entry.examples if example.kind == "trace"]


class Page(HTMLParser):
    """Collects inputs, forms, elements by id and class, the <math> elements and the text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.inputs: dict[str, dict] = {}
        self.forms: list[dict] = []
        self.ids: dict[str, dict] = {}
        self.classes: dict[str, list[dict]] = {}
        self.math_count = 0
        self.text_parts: list[str] = []
        self.h1 = ""
        self._in_h1 = False
        self.links: list[str] = []
        self.scripts: list[str | None] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "input":
            self.inputs[a.get("name", "")] = a
        elif tag == "form":
            self.forms.append(a)
        elif tag == "math":
            self.math_count += 1
        elif tag == "h1":
            self._in_h1 = True
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "script" and a.get("type") != "application/json":  # a JSON data block never runs
            self.scripts.append(a.get("src"))
        if "id" in a:
            self.ids[a["id"]] = {"tag": tag, **a}
        for cls in a.get("class", "").split():
            self.classes.setdefault(cls, []).append({"tag": tag, **a})

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._in_h1:
            self.h1 += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def math_elements(self) -> list[str]:
        return re.findall(r"<math\b.*?</math>", self.html, flags=re.S)

    def field_error(self, name: str) -> str | None:
        """The error message shown next to a field (<p id="e-NAME">), if any."""
        m = re.search(rf'<p class="field-error" id="e-{re.escape(name)}"[^>]*>(.*?)</p>', self.html, flags=re.S)
        if not m or " hidden" in m.group(0).split(">", 1)[0]:
            return None
        return Page(m.group(1)).text or None

    def output_shape(self) -> str:
        """What the evaluator's result shows as the output shape ("—" when there is none)."""
        m = re.search(r"<output data-output-shape>(.*?)</output>", self.html, flags=re.S)
        return Page(m.group(1)).text if m else ""
