"""Answer types: how a student's typed answer is read, compared and shown.

Every exercise kind states one of these in its ``answer_format``. ``parse`` turns the text
into a value or raises ``MalformedAnswer`` (the API answers 422 with its message); ``same``
compares two parsed values (within the stated tolerance); ``show`` writes a value back as text
that ``parse`` accepts, so the expected answer shown to the student is itself a valid answer.

Equivalent forms are accepted: "3", "3.0", "+3", "−3" (Unicode minus); "78,500" for a whole
number; "3x3", "3 × 3", "3 by 3" for a size; "1,2; 2,3" or JSON [[1,2],[2,3]] for cells.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from app.engine.errors import InvalidInput


class MalformedAnswer(InvalidInput):
    """The answer cannot be read as the kind's answer type (the API answers 422)."""


def _quoted(text: str) -> str:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return "'" + shown + "'"


def _malformed(expected: str, text: str) -> MalformedAnswer:
    return MalformedAnswer(f"answer: expected {expected}, got {_quoted(text)}")


_MINUSES = str.maketrans({"−": "-", "–": "-", "—": "-", "＋": "+"})
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)
_GROUPED = re.compile(r"[+-]?\d{1,3}([,_ \u202f\u00a0]\d{3})+")


def _normalise(text: str) -> str:
    return text.translate(_MINUSES).strip()


def read_number(token: str) -> float | None:
    """A finite number from one token ("3", "3.0", "−1.5", ".5", "1e-3"), or None."""
    token = _normalise(token)
    if not _NUMBER.fullmatch(token):
        return None
    value = float(token)
    return value if math.isfinite(value) else None


def show_number(value: float) -> str:
    """'3', '-1.5', '0.125': no trailing zeros, at most 6 decimals, ASCII minus (typeable)."""
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance + 1e-9 * max(1.0, abs(b))


class _Answer:
    """What the answer types share: a number compared within ``tolerance`` and written back
    by ``show_number``, and the ``answer_format`` a page shows (the types override the rest)."""

    type: str
    description: str
    example: str
    tolerance: float

    def same(self, a: Any, b: Any) -> bool:
        return _close(a, b, self.tolerance)

    def show(self, value: Any) -> str:
        return show_number(value)

    def format(self) -> dict:
        return {
            "type": self.type,
            "description": self.description,
            "example": self.example,
            "tolerance": self.tolerance,
            "indexing": getattr(self, "indexing", None),
        }


@dataclass(frozen=True)
class Integer(_Answer):
    """A whole number; exact. "3.0" is 3; "3.5" is a wrong (not a malformed) answer."""

    example: str = "12"
    description: str = "a whole number, e.g. 12 (78,500 and 78500 are the same)"
    type: str = "integer"
    tolerance: float = 0

    def parse(self, text: str) -> float:
        cleaned = _normalise(text)
        if _GROUPED.fullmatch(cleaned):
            cleaned = re.sub(r"[,_ \u202f\u00a0]", "", cleaned)
        value = read_number(cleaned)
        if value is None:
            raise _malformed("a whole number such as 12 or -3", text)
        return value

    def json(self, value: Any) -> Any:
        return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class Number(_Answer):
    """A real number within an absolute tolerance."""

    tolerance: float = 0.001
    example: str = "-1.5"
    description: str = "a number, e.g. -1.5"
    type: str = "number"

    def parse(self, text: str) -> float:
        value = read_number(text)
        if value is None:
            raise _malformed("a number such as 3 or -1.5", text)
        return value

    def json(self, value: Any) -> Any:
        return round(float(value), 10)


_SIZE_SEPARATOR = re.compile(r"\s*(?:x|×|\*|by|,)\s*", re.IGNORECASE)


def _whole(token: str) -> int | None:
    value = read_number(token)
    if value is None or not value.is_integer():
        return None
    return int(value)


@dataclass(frozen=True)
class Size(_Answer):
    """A spatial size, rows first: "5" (square), "5x5", "5 × 5", "5*5", "5 by 5", "(5, 5)"."""

    square: bool = True
    example: str = "7 × 7"
    description: str = ""
    type: str = "size"
    tolerance: float = 0

    def parse(self, text: str) -> tuple[int, int]:
        cleaned = _normalise(text).strip("()[] ")
        parts = _SIZE_SEPARATOR.split(cleaned)
        values = [_whole(p) for p in parts]
        if len(values) in (1, 2) and all(v is not None and v >= 0 for v in values):
            return (values[0], values[-1])  # type: ignore[return-value]
        raise _malformed("a size such as 7, 7x7 or 7 × 7", text)

    def same(self, a: Any, b: Any) -> bool:
        return tuple(a) == tuple(b)

    def show(self, value: Any) -> str:
        h, w = value
        return str(h) if self.square and h == w else f"{h} × {w}"

    def json(self, value: Any) -> Any:
        h, w = value
        return h if self.square and h == w else [h, w]

    def format(self) -> dict:
        description = self.description or (
            "the side of a square, e.g. 7 (7x7 and 7 × 7 are accepted too)"
            if self.square
            else "rows × columns, e.g. 7 × 5 (7x5 is accepted; a lone 7 means 7 × 7)"
        )
        return {**super().format(), "description": description}


_LIST_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Vector(_Answer):
    """A list of ``length`` numbers, each within ``tolerance``: "0.9, -1.2" or "[0.9, -1.2]"."""

    length: int
    tolerance: float = 0.001
    description: str = ""
    type: str = "vector"

    @property
    def example(self) -> str:
        return "[" + ", ".join(("0.5", "-1.25", "2")[i % 3] for i in range(self.length)) + "]"

    def parse(self, text: str) -> tuple[float, ...]:
        cleaned = _normalise(text).strip("()[] ")
        tokens = [t for t in _LIST_SPLIT.split(cleaned) if t]
        values = [read_number(t) for t in tokens]
        if not tokens or any(v is None for v in values):
            raise _malformed(
                f"{self.length} numbers separated by commas, e.g. {self.example[1:-1]}", text
            )
        if len(values) != self.length:
            raise MalformedAnswer(
                f"answer: expected {self.length} numbers (one per entry), got {len(values)}"
            )
        return tuple(values)  # type: ignore[arg-type]

    def same(self, a: Any, b: Any) -> bool:
        return len(a) == len(b) and all(
            _close(x, y, self.tolerance) for x, y in zip(a, b, strict=True)
        )

    def show(self, value: Any) -> str:
        return "[" + ", ".join(show_number(v) for v in value) + "]"

    def json(self, value: Any) -> Any:
        return [round(float(v), 10) for v in value]

    def format(self) -> dict:
        description = self.description or (
            f"{self.length} numbers in order, separated by commas, e.g. {self.example[1:-1]} "
            f"(each within {show_number(self.tolerance)})"
        )
        return {**super().format(), "description": description, "length": self.length}


_PAIR = re.compile(r"[(\[]?\s*(\S+?)\s*[,\s]\s*(\S+?)\s*[)\]]?")


def _read_cell(piece: str) -> tuple[int, int] | None:
    match = _PAIR.fullmatch(piece.strip())
    if not match:
        return None
    row, col = _whole(match.group(1)), _whole(match.group(2))
    if row is None or col is None or row < 0 or col < 0:
        return None
    return (row, col)


@dataclass(frozen=True)
class Cell(_Answer):
    """One cell, 1-based (row, column): "2,3", "(2, 3)", "[2, 3]", "2 3"."""

    example: str = "2, 3"
    description: str = "row, column counted from 1, e.g. 2, 3"
    type: str = "cell"
    tolerance: float = 0
    indexing: str = "1-based"

    def parse(self, text: str) -> tuple[int, int]:
        cell = _read_cell(_normalise(text))
        if cell is None:
            raise _malformed("a cell as row, column counted from 1, e.g. 2, 3", text)
        return cell

    def same(self, a: Any, b: Any) -> bool:
        return tuple(a) == tuple(b)

    def show(self, value: Any) -> str:
        return f"{value[0]}, {value[1]}"

    def json(self, value: Any) -> Any:
        return [int(value[0]), int(value[1])]


_PARENTHESISED = re.compile(r"[(\[][^()\[\]]*[)\]]")
_NONE_WORDS = {"none", "no cells", "nothing", "empty", "[]", "{}", "∅"}


@dataclass(frozen=True)
class Cells(_Answer):
    """A set of 1-based cells: "1,2; 2,3", "(1,2) (2,3)", JSON [[1,2],[2,3]]; "none" or "[]"."""

    example: str = "1,2; 2,3"
    description: str = (
        "cells as row, column counted from 1, separated by semicolons, e.g. 1,2; 2,3 "
        "(or JSON [[1,2],[2,3]]); none for no cell; order does not matter"
    )
    type: str = "cells"
    tolerance: float = 0
    indexing: str = "1-based"

    def parse(self, text: str) -> frozenset[tuple[int, int]]:
        cleaned = _normalise(text)
        if cleaned.lower() in _NONE_WORDS:
            return frozenset()
        if cleaned.startswith("[[") or cleaned.startswith("[ ["):
            return self._json(cleaned, text)
        if "(" in cleaned or "[" in cleaned:
            pieces = _PARENTHESISED.findall(cleaned)
            rest = _PARENTHESISED.sub("", cleaned)
            if rest.strip(" ,;\n\t"):
                pieces = []
        else:
            pieces = [p for p in re.split(r"[;\n]+", cleaned) if p.strip()]
        cells = [_read_cell(p) for p in pieces]
        if not cells or any(c is None for c in cells):
            raise self._error(text)
        return frozenset(cells)  # type: ignore[arg-type]

    def _json(self, cleaned: str, text: str) -> frozenset[tuple[int, int]]:
        try:
            data = json.loads(cleaned)
        except ValueError:
            raise self._error(text) from None
        ok = isinstance(data, list) and all(
            isinstance(c, list)
            and len(c) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in c)
            for c in data
        )
        if not ok:
            raise self._error(text)
        return frozenset((c[0], c[1]) for c in data)

    def _error(self, text: str) -> MalformedAnswer:
        return _malformed(
            "cells as row, column counted from 1, separated by semicolons, e.g. 1,2; 2,3 (or none)",
            text,
        )

    def same(self, a: Any, b: Any) -> bool:
        return frozenset(a) == frozenset(b)

    def show(self, value: Any) -> str:
        if not value:
            return "none"
        return "; ".join(f"{r},{c}" for r, c in sorted(value))

    def json(self, value: Any) -> Any:
        return [[int(r), int(c)] for r, c in sorted(value)]


@dataclass(frozen=True)
class Choice(_Answer):
    """One option key of a multiple-choice question: "B", "b", "(b)", "B)"."""

    keys: tuple[str, ...] = ("A", "B", "C", "D")
    type: str = "choice"
    tolerance: float = 0

    @property
    def example(self) -> str:
        return self.keys[0]

    @property
    def description(self) -> str:
        return "the letter of one option: " + ", ".join(self.keys)

    def parse(self, text: str) -> str:
        cleaned = _normalise(text).strip("().[] ").upper()
        if cleaned.startswith("OPTION "):
            cleaned = cleaned[7:].strip()
        if cleaned not in self.keys:
            raise _malformed("one of the option letters " + ", ".join(self.keys), text)
        return cleaned

    def same(self, a: Any, b: Any) -> bool:
        return a == b

    def show(self, value: Any) -> str:
        return str(value)

    def json(self, value: Any) -> Any:
        return value


AnswerType = Integer | Number | Size | Vector | Cell | Cells | Choice
