"""The registry as a whole (no framework needed): every layer documented, names resolvable, the engine pure.

Walks every registered layer, whoever declared it, so a new family that forgets a note, a parameter's
meaning or a renderable formula fails here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import engine
import engine.layers
from engine import ShapeError, registry
from engine.compile import Formula
from engine.spec import FRAMEWORKS, LayerSpec

ENGINE_DIR = Path(engine.__file__).resolve().parent
SOURCES = sorted(ENGINE_DIR.rglob("*.py"))
FORBIDDEN_PACKAGES = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "torch", "keras", "tensorflow")
LAYERS = engine.layers()


def _ids(specs):
    return [s.key for s in specs]


# ---- every layer is documented -------------------------------------------------------------------------


def test_there_are_at_least_35_layer_types():
    assert len(LAYERS) >= 35, f"only {len(LAYERS)} layers: {_ids(LAYERS)}"
    assert {s.framework for s in LAYERS} == set(FRAMEWORKS)
    assert len({s.key for s in LAYERS}) == len(LAYERS)


@pytest.mark.parametrize("spec", LAYERS, ids=_ids(LAYERS))
def test_layer_is_documented(spec: LayerSpec):
    assert isinstance(spec.note, str) and spec.note.strip(), f"{spec.key} has no note"
    assert spec.category and spec.category != "other", f"{spec.key} has no category"
    for prm in spec.params:
        assert prm.doc.strip(), f"{spec.key} parameter {prm.name} has no meaning"
        assert getattr(prm.parse, "kind", ""), f"{spec.key} parameter {prm.name} has no type"
    assert len(set(spec.positional)) == len(spec.positional), f"{spec.key} declares a parameter twice"
    for alias, target in spec.param_aliases.items():
        name = target if isinstance(target, str) else target[0]
        assert name in spec.by_name, f"{spec.key} alias {alias} points at unknown parameter {name}"
    described = spec.describe()
    assert described["name"] == spec.name and len(described["params"]) == len(spec.params)


@pytest.mark.parametrize("spec", LAYERS, ids=_ids(LAYERS))
def test_layer_formulas_render(spec: LayerSpec):
    for formula in spec.formulas:
        assert isinstance(formula, Formula), f"{spec.key}: {formula!r} is not a Formula"
        rendered = formula.rendered
        assert rendered["key"] == formula.key
        assert rendered["doc"].strip(), f"{spec.key}: formula {formula.key} has no doc"
        assert " = " in rendered["text"], rendered
        assert rendered["latex"].strip() and "=" in rendered["latex"], rendered
        assert rendered["mathml"].startswith("<math") and rendered["mathml"].endswith("</math>"), rendered


@pytest.mark.parametrize("spec", [s for s in LAYERS if s.equivalent], ids=_ids([s for s in LAYERS if s.equivalent]))
def test_equivalent_exists_in_the_other_framework(spec: LayerSpec):
    other = next(f for f in FRAMEWORKS if f != spec.framework)
    match = registry.lookup(other, spec.equivalent)
    assert match.framework == other


# ---- names and aliases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "framework, name, expected",
    [
        ("pytorch", "nn.Conv2d", "Conv2d"),
        ("torch", "torch.nn.Conv2d", "Conv2d"),
        ("pytorch", "conv1d", "Conv1d"),
        ("keras", "Convolution1D", "Conv1D"),
        ("keras", "keras.layers.Conv2D", "Conv2D"),
        ("keras", "tf.keras.layers.Dense", "Dense"),
        ("keras", "batchnormalization", "BatchNormalization"),
        ("pytorch", "nn.BatchNorm2d", "BatchNorm2d"),
        ("pytorch", "nn.Flatten", "Flatten"),
    ],
)
def test_lookup_by_alias_resolves(framework, name, expected):
    assert engine.get_layer(framework, name).name == expected


def test_unknown_layer_error_lists_close_names():
    with pytest.raises(ShapeError) as err:
        engine.get_layer("keras", "BatchNorm")
    assert err.value.code == "unknown_layer" and err.value.field == "layer"
    assert "did you mean" in err.value.message and "BatchNormalization" in err.value.message
    with pytest.raises(ShapeError) as err:
        engine.evaluate("pytorch", "Conv2D_", {}, [1, 3, 8, 8])
    assert "Conv2d" in err.value.message
    with pytest.raises(ShapeError) as err:
        engine.get_layer("keras", "BatchNorm2d")
    assert "pytorch layer" in err.value.message
    with pytest.raises(ShapeError) as err:
        engine.get_layer("jax", "Dense")
    assert err.value.code == "unknown_framework"


def test_every_name_and_alias_resolves_to_its_declaration():
    for spec in LAYERS:
        for name in (spec.name, *spec.aliases, spec.name.lower(), spec.name.upper()):
            assert registry.lookup(spec.framework, name) is spec


# ---- formula keys ----------------------------------------------------------------------------------------


def _engine_modules():
    modules = [importlib.import_module("engine")]
    for info in pkgutil.walk_packages([str(ENGINE_DIR)], prefix="engine."):
        modules.append(importlib.import_module(info.name))
    return modules


def test_each_formula_key_is_unique():
    by_key = defaultdict(set)
    owners = defaultdict(set)
    for module in _engine_modules():
        for attr, value in vars(module).items():
            if isinstance(value, Formula):
                by_key[value.key].add(id(value))
                owners[value.key].add(f"{module.__name__}.{attr}")
    for spec in LAYERS:
        for formula in spec.formulas:
            by_key[formula.key].add(id(formula))
            owners[formula.key].add(spec.key)
    duplicated = {k: sorted(owners[k]) for k, ids in by_key.items() if len(ids) > 1}
    assert not duplicated, f"formula keys declared more than once: {duplicated}"
    assert len(by_key) >= 10
    # The same in the source text: no literal key is written twice.
    literal = defaultdict(list)
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _called_name(node) == "Formula" and node.args:
                key = node.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    literal[key.value].append(f"{path.name}:{node.lineno}")
    assert not {k: v for k, v in literal.items() if len(v) > 1}


# ---- purity and safety of the engine's source --------------------------------------------------------------


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def test_importing_engine_never_loads_web_or_framework_packages():
    code = (
        "import sys, engine\n"
        "engine.evaluate('keras', 'Dense', {'units': 2}, [None, 3])\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_PACKAGES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ENGINE_DIR.parent, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "", f"importing engine loaded {out.stdout.strip()}"


def test_engine_source_never_imports_web_or_framework_packages():
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Call) and _called_name(node) in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                names = [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN_PACKAGES]
    assert not found


# Audited code generation: the engine compiles source it printed itself (formula code from SymPy's printer,
# parameter resolvers from declared names), never a user's string. Any other exec site fails the test below.
AUDITED_EXEC_SITES = {("compile.py", "_fast_evaluator"), ("spec.py", "_compile_resolve")}


class _StringEvaluation(ast.NodeVisitor):
    def __init__(self, path: Path):
        self.file = path.name if path.parent == ENGINE_DIR else str(path.relative_to(ENGINE_DIR))
        self.functions: list[str] = []
        self.found: list[str] = []

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _flag(self, node, what):
        where = self.functions[-1] if self.functions else "<module>"
        self.found.append(f"{self.file}:{node.lineno} {what} in {where}")

    def visit_Call(self, node):
        name, plain = _called_name(node), isinstance(node.func, ast.Name)
        site = (self.file, self.functions[-1] if self.functions else None)
        if plain and name in ("eval", "__import__"):
            self._flag(node, name)
        if plain and name in ("exec", "compile"):
            if site not in AUDITED_EXEC_SITES:
                self._flag(node, name)
            elif name == "exec":
                # exec(compile(<source>, "<label>", "exec"), namespace) and nothing else
                inner = node.args[0] if node.args else None
                is_compile = isinstance(inner, ast.Call) and _called_name(inner) == "compile" and len(inner.args) == 3
                mode = inner.args[2] if is_compile else None
                if not (isinstance(mode, ast.Constant) and mode.value == "exec"):
                    self._flag(node, "exec of something other than compile(..., 'exec')")
        if name in ("sympify", "S") and self.file != "compile.py":
            self._flag(node, name)
        if name in ("parse_expr", "parse_latex", "parse_mathematica"):
            self._flag(node, name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.module and node.module.startswith("sympy.parsing"):
            self._flag(node, f"import {node.module}")
        self.generic_visit(node)

    def visit_Import(self, node):
        if any(a.name.startswith("sympy.parsing") for a in node.names):
            self._flag(node, "import sympy.parsing")
        self.generic_visit(node)


def test_engine_source_never_evaluates_strings():
    """No eval anywhere; sympify only in compile.py; exec only at the audited code-generation sites."""
    found = []
    for path in SOURCES:
        visitor = _StringEvaluation(path)
        visitor.visit(ast.parse(path.read_text(), str(path)))
        found += visitor.found
    assert not found, f"string evaluation in the engine: {found}"


def test_user_symbols_are_made_by_pattern_not_parsed():
    r = engine.evaluate("pytorch", "Flatten", {}, ["N", "C", "H", "W"])
    assert r["output_shape"] == ["N", "C*H*W"]
    for hostile in ("__import__('os')", "H+1", "1e9", "H W", "x" * 40, ""):
        with pytest.raises(ShapeError) as err:
            engine.evaluate("pytorch", "Flatten", {}, ["N", hostile])
        assert err.value.code == "invalid_dimension" and err.value.field == "input_shape[1]"
