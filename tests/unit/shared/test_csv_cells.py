"""CSV cells a spreadsheet opens as data (OWASP CSV injection): text that could start a formula
is quoted, integer amounts stay numbers."""

import csv
import io

import pytest

from shared.csv_cells import csv_text, safe_cell


@pytest.mark.parametrize(
    "text", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(x)"]
)
def test_text_that_could_start_a_formula_gets_a_leading_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["o-1", "2026-11-20T10:00:00Z", "GBP", "", "a=b", "'=x"])
def test_other_text_is_unchanged(text: str) -> None:
    assert safe_cell(text) == text


def test_integer_amounts_stay_numbers_even_when_negative() -> None:
    assert safe_cell(-120) == -120
    assert safe_cell(0) == 0
    assert safe_cell(None) == ""
    # Decided by type: an id that merely looks like a negative number is text, and quoted.
    assert safe_cell("-120") == "'-120"


def test_a_csv_document_reads_back_with_quoted_text_and_plain_numbers() -> None:
    text = csv_text(["order_id", "amount"], [["=cmd|' /C calc'!A0", -120], ["o,2", 351]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["order_id", "amount"], ["'=cmd|' /C calc'!A0", "-120"], ["o,2", "351"]]
    assert text.splitlines()[1].endswith(",-120")
