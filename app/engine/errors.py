"""The one exception the engine raises for input it cannot compute on, and its index checks."""


class InvalidInput(ValueError):
    """The input is well-formed but makes no sense for the operation (the API answers 422).

    The message is shown to the student as is, so it says what is wrong with the numbers,
    e.g. "kernel 5×5 is larger than the padded input 4×4".
    """


def check_cell(cell: tuple[int, int], size: tuple[int, int], what: str) -> tuple[int, int]:
    """``cell`` unless it lies outside the ``size`` grid of the ``what`` (input, output …)."""
    (r, q), (h, w) = cell, size
    if not (0 <= r < h and 0 <= q < w):
        raise InvalidInput(f"{what} cell [{r}, {q}] is outside the {h}×{w} {what}")
    return r, q


def check_channel(channel: int, count: int, what: str, owner: str) -> None:
    """InvalidInput unless 0 ≤ ``channel`` < ``count`` (the ``owner``'s ``what`` channels)."""
    if not 0 <= channel < count:
        raise InvalidInput(
            f"{what} channel {channel} does not exist; the {owner} has {count} {what} "
            f"channel{'s' if count != 1 else ''}"
        )
