"""Helpers for the browser tests of the number-grid pages (convolution, matrix, equivariance).

A NumberGrid cell carries data-row / data-col and a title "Y₁₁ = <value>" holding the exact
number the API returned, so tests read values without parsing rounded labels.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

TUTORIAL_X = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 2, 1, 0], [1, 0, 2, 2]], dtype=float)
TUTORIAL_K = np.array([[1, -1], [0, 1]], dtype=float)


def correlate_valid(x: np.ndarray, k: np.ndarray, stride: int = 1) -> np.ndarray:
    """Reference cross-correlation (stride, no padding) written independently of the app."""
    windows = sliding_window_view(x, k.shape)[::stride, ::stride]  # (H_out, W_out, kh, kw)
    return np.einsum("ijab,ab->ij", windows, k)


def read_grid(page, selector: str) -> np.ndarray:
    """The values shown by the read-only NumberGrid inside `selector` (padding ring excluded)."""
    cells = page.eval_on_selector_all(
        f"{selector} .cell:not(.is-pad)",
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col),"
        " e.title.split(' = ')[1] ?? ''])",
    )
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    out = np.full((rows, cols), np.nan)
    for r, c, text in cells:
        out[r, c] = float(text) if text not in ("", "null") else np.nan
    return out


def read_editor(page, selector: str) -> np.ndarray:
    """The numbers typed in the editable grid inside `selector`."""
    cells = page.eval_on_selector_all(
        f"{selector} input.cell",
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), e.value])",
    )
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    out = np.zeros((rows, cols))
    for r, c, text in cells:
        out[r, c] = float(text)
    return out


def wait_for_grid(page, selector: str, expected: np.ndarray, timeout: float = 15.0) -> np.ndarray:
    """Poll the grid until it shows `expected` (to 1e-9) or the timeout passes; return it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            shown = read_grid(page, selector)
        except ValueError:  # grid momentarily empty while it is rebuilt
            shown = np.empty((0, 0))
        if shown.shape == expected.shape and np.allclose(shown, expected, atol=1e-9):
            return shown
        if time.monotonic() > deadline:
            return shown
        page.wait_for_timeout(50)


def marked_cells(page, selector: str, class_name: str) -> set[tuple[int, int]]:
    """(row, col) of the cells inside `selector` carrying a highlight class."""
    cells = page.eval_on_selector_all(
        f"{selector} .cell.{class_name}",
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col)])",
    )
    return {(r, c) for r, c in cells}


def ignore_http_errors(page, status: int = 422) -> None:
    """Drop the console lines Chromium logs for an HTTP error the test provoked on purpose."""
    page.problems[:] = [p for p in page.problems if f"status of {status}" not in p]


def poll(page, expression: str, arg: object = None, timeout: float = 8.0) -> object:
    """Evaluate a JS function until it returns something truthy (page.wait_for_function
    would evaluate a string, which the app's CSP forbids); returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {expression}"
            return value
        page.wait_for_timeout(25)
