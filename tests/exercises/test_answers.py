"""Answer types: equivalent forms are read alike, unreadable ones raise MalformedAnswer."""

from __future__ import annotations

import pytest

from app.exercises.answers import (
    Cell,
    Cells,
    Choice,
    Integer,
    MalformedAnswer,
    Number,
    Size,
    Vector,
)


@pytest.mark.parametrize("text", ["3", "3.0", " 3 ", "+3", "3.", "3.000"])
def test_integer_forms_of_three_are_three(text: str) -> None:
    assert Integer().same(Integer().parse(text), 3)


@pytest.mark.parametrize("text", ["−2", "-2", "–2", "-2.0"])
def test_unicode_and_ascii_minus_read_alike(text: str) -> None:
    assert Integer().parse(text) == -2


@pytest.mark.parametrize("text", ["78,500", "78500", "78 500", "78_500", "78\u202f500"])
def test_thousands_separators_are_accepted(text: str) -> None:
    assert Integer().parse(text) == 78_500


def test_integer_three_and_a_half_is_wrong_not_malformed() -> None:
    assert not Integer().same(Integer().parse("3.5"), 3)


@pytest.mark.parametrize("text", ["abc", "3,5", "1/2", "nan", "inf", "3 4", "1e999"])
def test_integer_unreadable_text_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(MalformedAnswer) as info:
        Integer().parse(text)
    assert str(info.value) == f"answer: expected a whole number such as 12 or -3, got '{text}'"


def test_number_within_tolerance_is_the_same() -> None:
    number = Number(tolerance=0.001)
    assert number.same(number.parse("1.4455"), 1.445)
    assert not number.same(number.parse("1.447"), 1.445)


@pytest.mark.parametrize("text", ["5", "5x5", "5X5", "5 × 5", "5*5", "5 by 5", "(5, 5)", "5.0"])
def test_size_forms_of_five_by_five_are_accepted(text: str) -> None:
    assert Size().parse(text) == (5, 5)


def test_size_reads_rows_first() -> None:
    assert Size(square=False).parse("3 × 4") == (3, 4)
    assert not Size(square=False).same((4, 3), (3, 4))


def test_size_shows_a_square_as_its_side_and_a_rectangle_rows_by_columns() -> None:
    assert Size().show((5, 5)) == "5"
    assert Size(square=False).show((3, 4)) == "3 × 4"
    assert Size(square=False).json((3, 4)) == [3, 4]
    assert Size().json((5, 5)) == 5


@pytest.mark.parametrize("text", ["5x", "five", "5x5x5", "2.5", "-3"])
def test_size_unreadable_text_is_refused(text: str) -> None:
    with pytest.raises(MalformedAnswer) as info:
        Size().parse(text)
    assert str(info.value) == f"answer: expected a size such as 7, 7x7 or 7 × 7, got '{text}'"


@pytest.mark.parametrize(
    "text", ["0.9, -1.2", "[0.9, -1.2]", "(0.9; -1.2)", "0.9 -1.2", "0.9,−1.2", "[0.9,-1.2]"]
)
def test_vector_forms_are_accepted(text: str) -> None:
    assert Vector(length=2).parse(text) == (0.9, -1.2)


def test_vector_of_the_wrong_length_names_both_lengths() -> None:
    with pytest.raises(MalformedAnswer) as info:
        Vector(length=3).parse("1, 2")
    assert str(info.value) == "answer: expected 3 numbers (one per entry), got 2"


def test_vector_with_a_word_is_refused() -> None:
    with pytest.raises(MalformedAnswer) as info:
        Vector(length=2).parse("1, two")
    assert str(info.value) == (
        "answer: expected 2 numbers separated by commas, e.g. 0.5, -1.25, got '1, two'"
    )


@pytest.mark.parametrize("text", ["2,3", "(2, 3)", "[2, 3]", "2 3", " 2 , 3 "])
def test_cell_forms_are_accepted(text: str) -> None:
    assert Cell().parse(text) == (2, 3)


@pytest.mark.parametrize("text", ["2", "2,3,4", "a,b", "2.5, 3", "-1, 2"])
def test_cell_unreadable_text_is_refused(text: str) -> None:
    with pytest.raises(MalformedAnswer) as info:
        Cell().parse(text)
    assert str(info.value) == (
        f"answer: expected a cell as row, column counted from 1, e.g. 2, 3, got '{text}'"
    )


@pytest.mark.parametrize(
    "text",
    [
        "1,2; 2,3",
        "2,3;1,2",
        "(1,2) (2,3)",
        "(1, 2), (2, 3)",
        "[[1,2],[2,3]]",
        "1 2; 2 3",
        "1,2\n2,3",
        "1,2; 2,3; 1,2",
    ],
)
def test_cells_forms_are_the_same_set(text: str) -> None:
    assert Cells().parse(text) == frozenset({(1, 2), (2, 3)})


@pytest.mark.parametrize("text", ["none", "None", "[]", "∅", "nothing"])
def test_cells_none_is_the_empty_set(text: str) -> None:
    assert Cells().parse(text) == frozenset()


@pytest.mark.parametrize("text", ["1,2; x", "[[1,2],[3]]", "[[1,2],", "(1,2) junk", "[[1.5,2]]"])
def test_cells_unreadable_text_is_refused(text: str) -> None:
    with pytest.raises(MalformedAnswer) as info:
        Cells().parse(text)
    assert str(info.value) == (
        "answer: expected cells as row, column counted from 1, separated by semicolons, "
        f"e.g. 1,2; 2,3 (or none), got '{text}'"
    )


def test_cells_show_is_sorted_and_read_back() -> None:
    cells = frozenset({(2, 3), (1, 2)})
    assert Cells().show(cells) == "1,2; 2,3"
    assert Cells().parse(Cells().show(cells)) == cells
    assert Cells().show(frozenset()) == "none"


@pytest.mark.parametrize("text", ["B", "b", "(b)", "B)", "b.", "option B"])
def test_choice_forms_are_accepted(text: str) -> None:
    assert Choice().parse(text) == "B"


def test_choice_outside_the_keys_is_refused() -> None:
    with pytest.raises(MalformedAnswer) as info:
        Choice().parse("E")
    assert str(info.value) == "answer: expected one of the option letters A, B, C, D, got 'E'"


def test_a_long_unreadable_answer_is_shortened_in_the_message() -> None:
    with pytest.raises(MalformedAnswer) as info:
        Integer().parse("x" * 100)
    assert str(info.value) == "answer: expected a whole number such as 12 or -3, got '" + (
        "x" * 39 + "…'"
    )
