"""Knowledge-base entries: Markdown files with YAML front matter, validated against the engine.

Pure Python (no Flask, no database). The format is described in docs/content-format.md:

    ---
    slug: ...            # equals the file name without .md
    title / summary / source / tags / layers / formulas / examples
    sources / families / errors / related          # optional
    ---
    The question (Markdown).
    <!-- answer -->
    The curated answer (Markdown).

parse_entry() validates everything and raises ContentError naming the file and the problem;
load_entries() reads a whole directory; render_markdown() turns Markdown into sanitized HTML.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import markdown.extensions
import markdown.treeprocessors
import nh3
import yaml
from markdown.extensions.tables import TableExtension

import engine
from engine import bounds
from engine.errors import ShapeError
from engine.explain_patterns import FAMILIES as EXPLAIN_FAMILIES

CONTENT_DIR = Path(__file__).resolve().parent / "content"

SLUG_RE = re.compile(r"[a-z0-9-]{3,80}")
ANSWER_MARKER = "<!-- answer -->"
SOURCES = ("community Q&A",)

REQUIRED_KEYS = ("slug", "title", "summary", "source", "tags", "layers", "formulas", "examples")
OPTIONAL_KEYS = ("sources", "families", "errors", "related")
# The explainer's families of shape errors (engine.explain); an entry names the ones it answers.
FAMILIES = tuple(family for family in EXPLAIN_FAMILIES if family != "unknown")
ERROR_FRAMEWORKS = ("keras", "pytorch")
ERROR_KEYS = frozenset({"framework", "versions", "message"})
VERSION_RANGE_RE = re.compile(r"\d+(\.\d+)*(-(\d+(\.\d+)*)?)?")  # "2.1", "0.4-1.7", "2.0-" (and later)
SOURCE_URL_RE = re.compile(r"https://[A-Za-z0-9.-]+\.[a-z]{2,}/[^\s<>\"']*")
MAX_SOURCES = 5
MAX_ERRORS = 20
MAX_MESSAGE = 1000
MAX_RELATED = 8
EVALUATE_KEYS = frozenset({"name", "framework", "layer", "params", "input_shape", "expect", "evaluator"})
TRACE_KEYS = frozenset({"name", "framework", "input_shape", "trace", "expect", "evaluator"})
EVALUATE_EXPECT = frozenset({"output_shape", "param_count", "trainable_params", "weights", "outputs"})
TRACE_EXPECT = frozenset({"output_shape", "total_params", "layer_shapes", "layer_params"})

MAX_TITLE = 200
MAX_SUMMARY = 400


class ContentError(Exception):
    """A content file that does not follow the format; str() is "<file>: <problem>"."""

    def __init__(self, path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class Example:
    """One worked example of an entry: a single layer (kind "evaluate") or a stack (kind "trace")."""

    name: str
    framework: str
    kind: str  # "evaluate" | "trace"
    layer: str | None
    params: dict
    input_shape: list
    layers: list | None
    expect: dict
    evaluator: bool

    def request(self) -> dict:
        """The JSON body for /api/v1/evaluate (kind "evaluate") or /api/v1/trace (kind "trace")."""
        if self.kind == "trace":
            return {
                "framework": self.framework,
                "input_shape": list(self.input_shape),
                "layers": copy.deepcopy(self.layers),
            }
        return {
            "framework": self.framework,
            "layer": self.layer,
            "params": copy.deepcopy(self.params),
            "input_shape": list(self.input_shape),
        }

    def run(self) -> dict:
        """What the engine answers for this example."""
        body = self.request()
        if self.kind == "trace":
            return engine.trace(body["framework"], body["input_shape"], body["layers"])
        return engine.evaluate(body["framework"], body["layer"], body["params"], body["input_shape"])


@dataclass(frozen=True)
class ErrorMessage:
    """A framework's error message that an entry answers, as printed (numbers and all)."""

    framework: str  # "keras" | "pytorch"
    message: str
    versions: str | None = None  # "0.4-1.7", "2.0-" (and later); None: every version we know

    def as_dict(self) -> dict:
        return {"framework": self.framework, "versions": self.versions, "message": self.message}


@dataclass(frozen=True)
class Entry:
    """One question with its curated answer, the layers it is about and its runnable examples."""

    slug: str
    title: str
    summary: str
    source: str
    tags: tuple[str, ...]
    question_md: str
    answer_md: str
    layers: tuple[tuple[str, str], ...]  # (framework, canonical engine name)
    formulas: tuple[str, ...]  # "keras/Conv1D"
    examples: tuple[Example, ...]
    path: str
    text: str = field(default="", repr=False, compare=False)  # the file's text, for checksum()
    sources: tuple[str, ...] = ()  # public threads the question comes from
    families: tuple[str, ...] = ()  # FAMILIES it answers, the main one first
    errors: tuple[ErrorMessage, ...] = ()
    related: tuple[str, ...] = ()  # slugs of related entries (load_entries checks they exist)

    def checksum(self) -> str:
        """sha256 of the file's text: a sync skips entries whose checksum is unchanged."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def evaluator_example(self) -> Example:
        """The example that pre-fills the page's evaluator (exactly one per entry)."""
        return next(e for e in self.examples if e.evaluator)


# ---- parsing -------------------------------------------------------------------------------


def _split(path: Path, text: str) -> tuple[str, str]:
    """(front matter, body) of a file that starts with a '---' line and closes it with another."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ContentError(path, "the file must start with a '---' line opening the YAML front matter")
    for n in range(1, len(lines)):
        if lines[n].rstrip("\r\n") == "---":
            return "".join(lines[1:n]), "".join(lines[n + 1 :])
    raise ContentError(path, "the YAML front matter is not closed by a '---' line")


def _string(path, value, where: str, maximum: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, f"{where} must be a non-empty string, received {value!r}"[:300])
    if maximum is not None and len(value) > maximum:
        raise ContentError(path, f"{where} must be at most {maximum} characters, received {len(value)}")
    return value.strip()


def _mapping(path, value, where: str, allowed: frozenset | set, required: tuple = ()) -> dict:
    if not isinstance(value, dict):
        raise ContentError(path, f"{where} must be a mapping, received {type(value).__name__}")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise ContentError(path, f"{where} has non-string key(s) {bad!r}"[:300])
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ContentError(path, f"{where} has unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ContentError(path, f"{where} is missing required key(s) {missing}")
    return value


def _spec(path, framework, name, where: str):
    """The engine declaration of a layer; ContentError when the engine has no such layer."""
    try:
        return engine.get_layer(framework, name)
    except ShapeError as err:
        raise ContentError(path, f"{where}: {err.message}") from None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_dim(v) -> bool:
    return v is None or _is_int(v) or (isinstance(v, str) and bool(v.strip()))


def _shape(path, value, where: str) -> list:
    if not isinstance(value, list) or not all(_is_dim(v) for v in value):
        raise ContentError(
            path, f"{where} must be a list of dimensions (integers, null or symbols), received {value!r}"[:300]
        )
    return value


def _count(path, value, where: str) -> int:
    if not _is_int(value) or value < 0:
        raise ContentError(path, f"{where} must be a non-negative integer, received {value!r}")
    return value


def _shape_map(path, value, where: str) -> dict:
    if not isinstance(value, dict) or not value:
        raise ContentError(path, f"{where} must be a non-empty mapping of name -> shape, received {value!r}"[:300])
    for name, shape in value.items():
        if not isinstance(name, str) or not name:
            raise ContentError(path, f"{where} has an invalid name {name!r}")
        _shape(path, shape, f"{where}.{name}")
    return value


def _expect(path, value, where: str, kind: str, n_layers: int) -> dict:
    allowed = TRACE_EXPECT if kind == "trace" else EVALUATE_EXPECT
    _mapping(path, value, where, allowed)
    if not value:
        raise ContentError(path, f"{where} must name at least one of {sorted(allowed)}")
    for key, v in value.items():
        at = f"{where}.{key}"
        if key == "output_shape":
            _shape(path, v, at)
        elif key in ("param_count", "trainable_params", "total_params"):
            _count(path, v, at)
        elif key in ("weights", "outputs"):
            _shape_map(path, v, at)
        elif key == "layer_shapes":
            if not isinstance(v, list) or len(v) != n_layers:
                raise ContentError(path, f"{at} must list one shape per layer ({n_layers}), received {v!r}"[:300])
            for n, shape in enumerate(v):
                _shape(path, shape, f"{at}[{n}]")
        elif key == "layer_params":
            if not isinstance(v, list) or len(v) != n_layers:
                raise ContentError(path, f"{at} must list one count per layer ({n_layers}), received {v!r}"[:300])
            for n, count in enumerate(v):
                _count(path, count, f"{at}[{n}]")
    return value


def _params(path, spec, value, where: str) -> dict:
    """A layer's keyword arguments, checked by the engine's own parameter parsers."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ContentError(path, f"{where} must be a mapping, received {type(value).__name__}")
    try:
        spec.resolve(value)
    except ShapeError as err:
        raise ContentError(path, f"{where}: {err.message}") from None
    return value


def _example(path, raw, n: int) -> Example:
    where = f"examples[{n}]"
    if not isinstance(raw, dict):
        raise ContentError(path, f"{where} must be a mapping, received {type(raw).__name__}")
    kind = "trace" if "trace" in raw else "evaluate"
    if kind == "trace" and "layer" in raw:
        raise ContentError(path, f"{where} has both 'layer' and 'trace'; an example is one layer or one stack")
    required = (
        ("name", "framework", "input_shape", "trace", "expect")
        if kind == "trace"
        else ("name", "framework", "layer", "input_shape", "expect")
    )
    _mapping(path, raw, where, TRACE_KEYS if kind == "trace" else EVALUATE_KEYS, required)
    name = _string(path, raw["name"], f"{where}.name", 200)
    where = f"{where} ({name!r})"
    if not isinstance(raw["framework"], str):
        raise ContentError(path, f"{where}.framework must be 'keras' or 'pytorch', received {raw['framework']!r}")
    try:
        input_shape = list(raw["input_shape"]) if isinstance(raw["input_shape"], list) else raw["input_shape"]
        engine.parse_input_shape(input_shape)
    except ShapeError as err:
        raise ContentError(path, f"{where}.input_shape: {err.message}") from None
    evaluator = raw.get("evaluator", False)
    if not isinstance(evaluator, bool):
        raise ContentError(path, f"{where}.evaluator must be true or false, received {evaluator!r}")
    if kind == "trace":
        steps = raw["trace"]
        if not isinstance(steps, list) or not steps:
            raise ContentError(path, f"{where}.trace must be a non-empty list of {{layer, params}}")
        layers = []
        framework = None
        for k, step in enumerate(steps):
            at = f"{where}.trace[{k}]"
            _mapping(path, step, at, {"layer", "params"}, ("layer",))
            spec = _spec(path, raw["framework"], step["layer"], f"{at}.layer")
            framework = spec.framework
            layers.append({"layer": step["layer"], "params": _params(path, spec, step.get("params"), f"{at}.params")})
        expect = _expect(path, raw["expect"], f"{where}.expect", kind, len(layers))
        return Example(
            name=name,
            framework=framework,
            kind="trace",
            layer=None,
            params={},
            input_shape=input_shape,
            layers=layers,
            expect=expect,
            evaluator=evaluator,
        )
    spec = _spec(path, raw["framework"], raw["layer"], f"{where}.layer")
    params = _params(path, spec, raw.get("params"), f"{where}.params")
    expect = _expect(path, raw["expect"], f"{where}.expect", kind, 1)
    return Example(
        name=name,
        framework=spec.framework,
        kind="evaluate",
        layer=raw["layer"],
        params=params,
        input_shape=input_shape,
        layers=None,
        expect=expect,
        evaluator=evaluator,
    )


def _list(path, value, where: str, maximum: int) -> list:
    """An optional list (absent or null: empty), at most `maximum` items."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ContentError(path, f"{where} must be a list, received {type(value).__name__}")
    if len(value) > maximum:
        raise ContentError(path, f"{where} may hold at most {maximum} items, received {len(value)}")
    return value


def _unique(path, items: list, where: str) -> tuple:
    repeated = sorted({x for x in items if items.count(x) > 1})
    if repeated:
        raise ContentError(path, f"{where} lists {repeated} more than once"[:300])
    return tuple(items)


def _sources(path, value) -> tuple[str, ...]:
    urls = []
    for n, url in enumerate(_list(path, value, "sources", MAX_SOURCES)):
        if not isinstance(url, str) or not SOURCE_URL_RE.fullmatch(url.strip()) or len(url) > 500:
            raise ContentError(
                path, f"sources[{n}] must be an https:// address of a public thread, received {url!r}"[:300]
            )
        urls.append(url.strip())
    return _unique(path, urls, "sources")


def _families(path, value) -> tuple[str, ...]:
    families = _list(path, value, "families", len(FAMILIES))
    for n, family in enumerate(families):
        if family not in FAMILIES:
            raise ContentError(path, f"families[{n}] must be one of {list(FAMILIES)}, received {family!r}"[:600])
    return _unique(path, families, "families")


def _errors(path, value) -> tuple[ErrorMessage, ...]:
    errors = []
    for n, raw in enumerate(_list(path, value, "errors", MAX_ERRORS)):
        where = f"errors[{n}]"
        _mapping(path, raw, where, ERROR_KEYS, ("framework", "message"))
        if raw["framework"] not in ERROR_FRAMEWORKS:
            raise ContentError(path, f"{where}.framework must be 'keras' or 'pytorch', received {raw['framework']!r}")
        message = _string(path, raw["message"], f"{where}.message", MAX_MESSAGE)
        versions = raw.get("versions")
        if versions is not None:
            if not isinstance(versions, str) or not VERSION_RANGE_RE.fullmatch(versions.replace(" ", "")):
                raise ContentError(
                    path,
                    f"{where}.versions must be a version or a range such as '2.1', '0.4-1.7' or '2.0-', "
                    f"received {versions!r}"[:300],
                )
            versions = versions.replace(" ", "")
        errors.append(ErrorMessage(framework=raw["framework"], message=message, versions=versions))
    _unique(path, [(e.framework, e.message) for e in errors], "errors")
    return tuple(errors)


def _related(path, value, slug: str) -> tuple[str, ...]:
    related = _list(path, value, "related", MAX_RELATED)
    for n, other in enumerate(related):
        if not isinstance(other, str) or not SLUG_RE.fullmatch(other):
            raise ContentError(path, f"related[{n}] must be an entry's slug, received {other!r}"[:300])
        if other == slug:
            raise ContentError(path, f"related[{n}] names the entry itself")
    return _unique(path, related, "related")


def parse_entry(path) -> Entry:
    """Read and validate one content file; every problem raises ContentError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ContentError(path, f"the file is not valid UTF-8 ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ContentError(path, f"cannot read the file ({err.strerror or err})") from None
    if path.suffix != ".md":
        raise ContentError(path, "a content file's name must end in .md")
    head, body = _split(path, text)
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError as err:
        raise ContentError(path, f"invalid YAML front matter: {' '.join(str(err).split())}"[:400]) from None
    if meta is None:
        meta = {}
    check_front_matter_size(path, meta)
    _mapping(path, meta, "front matter", frozenset(REQUIRED_KEYS + OPTIONAL_KEYS), REQUIRED_KEYS)

    slug = meta["slug"]
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise ContentError(path, f"slug must match [a-z0-9-]{{3,80}}, received {slug!r}"[:300])
    if slug != path.stem:
        raise ContentError(path, f"slug {slug!r} must equal the file name without .md ({path.stem!r})")
    title = _string(path, meta["title"], "title", MAX_TITLE)
    summary = _string(path, meta["summary"], "summary", MAX_SUMMARY)
    source = _string(path, meta["source"], "source")
    if source not in SOURCES:
        raise ContentError(path, f"source must be one of {list(SOURCES)}, received {source!r}")

    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ContentError(path, f"tags must be a list of words, received {tags!r}"[:300])
    tags = tuple(dict.fromkeys(t.strip() for t in tags))

    raw_layers = meta["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ContentError(path, "layers must be a non-empty list of {framework, name}")
    layers = []
    for n, item in enumerate(raw_layers):
        _mapping(path, item, f"layers[{n}]", {"framework", "name"}, ("framework", "name"))
        spec = _spec(path, item["framework"], item["name"], f"layers[{n}]")
        if (spec.framework, spec.name) in layers:
            raise ContentError(path, f"layers[{n}]: {spec.key} is listed twice")
        layers.append((spec.framework, spec.name))

    raw_formulas = meta["formulas"]
    if not isinstance(raw_formulas, list) or not raw_formulas:
        raise ContentError(path, "formulas must be a non-empty list of engine layer keys such as keras/Conv1D")
    formulas = []
    for n, key in enumerate(raw_formulas):
        if not isinstance(key, str) or key.count("/") != 1:
            raise ContentError(
                path, f"formulas[{n}] must be '<framework>/<layer>' such as keras/Conv1D, received {key!r}"
            )
        spec = _spec(path, *key.split("/"), f"formulas[{n}]")
        if not spec.formulas:
            raise ContentError(path, f"formulas[{n}]: the engine has no general formulas for {spec.key} to show")
        if spec.key in formulas:
            raise ContentError(path, f"formulas[{n}]: {spec.key} is listed twice")
        formulas.append(spec.key)

    raw_examples = meta["examples"]
    if not isinstance(raw_examples, list) or not raw_examples:
        raise ContentError(path, "examples must be a non-empty list")
    examples = tuple(_example(path, raw, n) for n, raw in enumerate(raw_examples))
    names = [e.name for e in examples]
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        raise ContentError(path, f"example names must be unique, repeated: {dupes}")
    chosen = [e.name for e in examples if e.evaluator]
    if len(chosen) != 1:
        raise ContentError(
            path,
            f"exactly one example must have evaluator: true, found {len(chosen)}" + (f" ({chosen})" if chosen else ""),
        )
    if next(e for e in examples if e.evaluator).kind != "evaluate":
        raise ContentError(path, "the evaluator example must be a single layer (layer + params), not a trace")

    if body.count(ANSWER_MARKER) != 1:
        raise ContentError(
            path, f"the body must contain the line {ANSWER_MARKER} exactly once, found {body.count(ANSWER_MARKER)}"
        )
    question_md, answer_md = (part.strip() for part in body.split(ANSWER_MARKER))
    if not question_md:
        raise ContentError(path, f"the question (the Markdown before {ANSWER_MARKER}) is empty")
    if not answer_md:
        raise ContentError(path, f"the answer (the Markdown after {ANSWER_MARKER}) is empty")
    check_markdown_nesting(path, question_md, "the question")
    check_markdown_nesting(path, answer_md, "the answer")

    return Entry(
        sources=_sources(path, meta.get("sources")),
        families=_families(path, meta.get("families")),
        errors=_errors(path, meta.get("errors")),
        related=_related(path, meta.get("related"), slug),
        slug=slug,
        title=title,
        summary=summary,
        source=source,
        tags=tags,
        question_md=question_md + "\n",
        answer_md=answer_md + "\n",
        layers=tuple(layers),
        formulas=tuple(formulas),
        examples=examples,
        path=str(path),
        text=text,
    )


# ---- bounds on what a file may make the sync build ------------------------------------------

MAX_FRONT_MATTER_ITEMS = 20_000  # values in the front matter, counted as the tree its YAML aliases expand to
MAX_FRONT_MATTER_DEPTH = 32
MAX_MARKDOWN_NESTING = 32  # lists and block quotes inside one another (Markdown renders them recursively)
_FENCE = re.compile(r"\s*(```|~~~)")
_BLOCK_MARKER = re.compile(r"(?:>|[-*+](?=\s|$)|\d{1,9}[.)](?=\s|$))[ \t]?")


def check_front_matter_size(path, meta) -> None:
    """A few lines of YAML aliases can stand for billions of values (and reference themselves): the sync
    writes them out as JSON, so the front matter is measured as the tree it stands for, without expanding it."""
    items, depth = bounds.value_size(meta, MAX_FRONT_MATTER_ITEMS, MAX_FRONT_MATTER_DEPTH)
    if items > MAX_FRONT_MATTER_ITEMS or depth > MAX_FRONT_MATTER_DEPTH:
        raise ContentError(
            path,
            f"the front matter stands for more than {MAX_FRONT_MATTER_ITEMS} values or nests more than "
            f"{MAX_FRONT_MATTER_DEPTH} deep (YAML aliases are counted each time they are used)",
        )


def markdown_nesting(text: str) -> tuple[int, int]:
    """(deepest nesting of lists and block quotes, its line number), read from indentation and markers.

    Every two columns of indentation count as a level (a list nests with two), and so does each list
    marker or '>' at the start of a line ('- - - x' nests too). Fenced code blocks are skipped."""
    deepest, where, fenced = 0, 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        expanded = line.expandtabs(4)
        rest = expanded.lstrip(" ")
        level = (len(expanded) - len(rest)) // 2
        position = 0
        while (marker := _BLOCK_MARKER.match(rest, position)) is not None and marker.end() > position:
            level += 1
            position = marker.end()
        if level > deepest:
            deepest, where = level, number
    return deepest, where


def check_markdown_nesting(path, text: str, what: str) -> None:
    """Lists nested a few hundred deep make Markdown recurse past Python's limit (and take seconds first)."""
    depth, line = markdown_nesting(text)
    if depth > MAX_MARKDOWN_NESTING:
        raise ContentError(
            path,
            f"{what} nests lists or quotes {depth} deep at its line {line}; at most {MAX_MARKDOWN_NESTING}",
        )


def load_entries(directory=CONTENT_DIR) -> list[Entry]:
    """Every *.md entry under a directory (subfolders included), sorted by slug; a duplicate slug is an error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ContentError(directory, "the content directory does not exist")
    entries: dict[str, Entry] = {}
    for path in sorted(directory.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue  # hidden files and folders (editor backups, .git)
        entry = parse_entry(path)
        if entry.slug in entries:
            raise ContentError(path, f"duplicate slug {entry.slug!r} (also in {entries[entry.slug].path})")
        entries[entry.slug] = entry
    for entry in entries.values():
        unknown = [other for other in entry.related if other not in entries]
        if unknown:
            raise ContentError(entry.path, f"related names entries that do not exist: {unknown}")
    return [entries[s] for s in sorted(entries)]


# ---- rendering -----------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    """p br hr h1 h2 h3 h4 h5 h6 strong em b i del s sub sup blockquote ul ol li dl dt dd
    code pre kbd a table thead tbody tfoot tr th td caption""".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"class", "colspan", "rowspan"},
    "td": {"class", "colspan", "rowspan"},
    "code": {"class"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,40}")
_CELL_CLASS = re.compile(r"align-(?:left|center|right)")  # a table column's alignment (see _AlignClasses)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Keep only a fenced block's language class on <code>, an alignment class on cells; other allowed attributes as is."""
    if tag == "code" and attr == "class":
        return value if _CODE_CLASS.fullmatch(value) else None
    if tag in ("th", "td") and attr == "class":
        return value if _CELL_CLASS.fullmatch(value) else None
    return value


class _AlignClasses(markdown.treeprocessors.Treeprocessor):
    """A table column's alignment as a class (align-left/center/right): the CSP allows no style attribute."""

    def run(self, root):
        for cell in root.iter():
            if cell.tag not in ("th", "td"):
                continue
            align = cell.attrib.pop("align", None)
            if align in ("left", "center", "right"):
                cell.set("class", f"align-{align}")


class _AlignClassesExtension(markdown.extensions.Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's name
        md.treeprocessors.register(_AlignClasses(md), "align_classes", 0)


def render_markdown(text: str) -> str:
    """Markdown (fenced code, tables) -> HTML, sanitized with an allow-list: no scripts, no on* handlers, no styles."""
    html = markdown.markdown(
        text or "",
        extensions=["fenced_code", TableExtension(use_align_attribute=True), _AlignClassesExtension()],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel="noopener",
        url_schemes=set(URL_SCHEMES),
    )
