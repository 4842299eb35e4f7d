"""Formulas read well: floor/ceil over one fraction, and substituted numbers in the formula's own layout."""

from __future__ import annotations

import xml.dom.minidom

from engine import evaluate


def test_general_formula_shows_floor_over_one_fraction():
    result = evaluate(
        "pytorch", "Conv2d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "stride": 2}, [1, 3, "H", 9]
    )
    assert result["output_shape"][2] == "floor((H - 3)/2) + 1"
    formula = result["formulas"][0]
    assert formula["text"] == "L_out = floor((L_in - d*(k - 1) + 2*p - 1)/s) + 1"
    assert r"\lfloor" in formula["latex"] and r"\frac" in formula["latex"]
    assert "<mfrac>" in formula["mathml"] and "&#8970;" in formula["mathml"]  # the floor bracket


def test_substituted_formula_keeps_the_general_layout_with_visible_times():
    result = evaluate("keras", "Conv1D", {"filters": 64, "kernel_size": 5}, [None, 20, 32], substitute=True)
    length, count = (f["substituted"] for f in result["formulas"])
    assert length["text"] == "L_out = floor((20 - 1*(5 - 1) - 1)/1) + 1"
    assert count["text"] == "P = 32*64*5/1 + 64"
    # Numbers are <mn>, and a visible dot separates them (3 32 side by side would read 332).
    dom = xml.dom.minidom.parseString(count["mathml"])
    numbers = [n.firstChild.data for n in dom.getElementsByTagName("mn")]
    assert numbers[:3] == ["32", "64", "5"]
    assert "\u00b7" in [o.firstChild.data for o in dom.getElementsByTagName("mo")]
    assert r"32 \cdot 64 \cdot 5" in count["latex"]


def test_substituted_symbol_dims_print_by_name():
    result = evaluate(
        "pytorch", "Conv1d", {"in_channels": 3, "out_channels": 8, "kernel_size": 3}, [1, 3, "T"], substitute=True
    )
    assert result["formulas"][0]["substituted"]["text"] == "L_out = floor((T - 1*(3 - 1) + 2*0 - 1)/1) + 1"
