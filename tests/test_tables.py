"""widgets.tables.table: the Markdown tables that replace the chapters' padded printouts."""
import re

import numpy as np
import pytest
from IPython.display import Markdown
from markdown_it import MarkdownIt

import widgets
from widgets.tables import table


def _html(md):
    return MarkdownIt("commonmark").enable("table").render(md.data)


def test_exported_from_the_package():
    assert "tables" in widgets.__all__
    assert widgets.tables.table is table


def test_builds_a_pipe_table():
    md = table(["activation", "g(0)"], [["sigmoid", "0.5"], ["tanh", "0"]])
    assert isinstance(md, Markdown)
    assert md.data.splitlines() == [
        "| activation | g(0) |",
        "|:--|--:|",
        "| sigmoid | 0.5 |",
        "| tanh | 0 |",
    ]


def test_numbers_are_right_aligned_by_default():
    md = table(["a", "b", "c", "d", "e"],
               [["x", 1, np.float64(2.5), "-1.5e-03", "1,000"],
                ["y", -3, np.int64(4), "+0.6", "12%"],
                ["z", "", 0.0, "inf", ""]])
    assert md.data.splitlines()[1] == "|:--|--:|--:|--:|--:|"


def test_text_columns_and_bounds_are_left_aligned():
    md = table(["check", "bound", "flag", "pair"],
               [["max |a - b|", "< 1e-14 (round-off)", True, "1.0, 2.0"]])
    assert md.data.splitlines()[1] == "|:--|:--|:--|:--|"


def test_explicit_alignment():
    md = table(["a", "b", "c"], [["1", "2", "3"]], align="lcr")
    assert md.data.splitlines()[1] == "|:--|:-:|--:|"
    md = table(["a", "b"], [["x", "y"]], align=["r", "r"])
    assert md.data.splitlines()[1] == "|--:|--:|"


def test_pipes_are_escaped():
    md = table(["|a - b|", "value"], [["max |x|", "1"], ["a|b", "2"]])
    lines = md.data.splitlines()
    assert lines[0] == "| \\|a - b\\| | value |"
    assert lines[2] == "| max \\|x\\| | 1 |"
    assert lines[3] == "| a\\|b | 2 |"
    html = _html(md)
    # the escaped pipes are characters, not cell boundaries: two cells a row
    assert len(re.findall("<th[ >]", html)) == 2
    assert len(re.findall("<td[ >]", html)) == 4
    assert ">|a - b|</th>" in html and ">max |x|</td>" in html


def test_cells_are_stripped_and_written_as_str():
    md = table(["x"], [["  padded  "], [0.25]])
    assert md.data.splitlines()[2:] == ["| padded |", "| 0.25 |"]


@pytest.mark.parametrize("header, rows, message", [
    ([], [], "at least one column"),
    ("ab", [["1", "2"]], "not one string"),
    (["a", "b"], [["1"]], "row 0 has 1 cells, but the header has 2 columns"),
    (["a", "b"], [["1", "2"], ["1", "2", "3"]],
     "row 1 has 3 cells, but the header has 2 columns"),
    (["a"], ["x"], "row 0 must be a sequence of cells"),
    (["a"], [3.0], "row 0 must be a sequence of cells"),
    (["a"], "x", "rows must be a sequence of rows"),
    (["a"], [["two\nlines"]], "row 0, cell 0 contains a line break"),
    (["a\nb"], [["1"]], "header cell 0 contains a line break"),
])
def test_shape_errors_raise_value_error(header, rows, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        table(header, rows)


@pytest.mark.parametrize("align, message", [
    ("lr", "align has 2 entries for 3 columns"),
    ("lrx", "must be 'l', 'r' or 'c', got 'x'"),
])
def test_bad_alignment_raises_value_error(align, message):
    with pytest.raises(ValueError, match=message):
        table(["a", "b", "c"], [["1", "2", "3"]], align=align)


def test_no_rows_is_a_header_only_table():
    assert table(["a", "b"], []).data.splitlines() == ["| a | b |", "|:--|:--|"]
