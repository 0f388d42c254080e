"""The one exception the engine raises for input it cannot compute on."""


class InvalidInput(ValueError):
    """The input is well-formed but makes no sense for the operation (the API answers 422).

    The message is shown to the student as is, so it says what is wrong with the numbers,
    e.g. "kernel 5×5 is larger than the padded input 4×4".
    """
