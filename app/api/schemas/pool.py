"""Request and response models for /api/pool (max, average, max-blur and global average)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from app.api import answer_size
from app.api.schemas.common import (
    Formula,
    Image,
    Listed,
    Map,
    NonNegativeIntOrPair,
    PositiveIntOrPair,
    ResultModel,
    ShapedRequest,
    check_output_values,
    refuse_over,
)
from app.config import Settings
from app.engine.pooling import BlurMaxGeometry, PoolGeometry, blurmax_geometry, pool_geometry

PoolMode = Literal["max", "avg", "blurmax", "global_avg"]
POOL_MODES = "max, avg, blurmax (2×2 max at stride 1, 3×3 blur at stride 2) or global_avg."
Argmax = list[list[list[int]]] | list[list[list[list[int]]]]


def check_pool_compute(geometry: PoolGeometry | BlurMaxGeometry, settings: Settings) -> None:
    """422 when pooling would exceed max_macs (window reads) or max_output_values."""
    message = "this pooling reads {ops} window cells, over the limit of {limit}"
    refuse_over(geometry.operations, settings.max_macs, "too_much_compute", message, "ops")
    check_output_values(geometry.output_shape, settings)


BLURMAX_FIXED: dict[str, tuple[object, ...]] = {
    "kernel_size": (2, [2, 2], (2, 2)),
    "stride": (None, 2, [2, 2], (2, 2)),
    "padding": (0, [0, 0]),
    "dilation": (1, [1, 1]),
    "ceil_mode": (False,),
}
"""The window settings blurmax accepts: its own (or the defaults, which mean the same), as JSON
lists or as validated tuples."""


def blurmax_changed(settings: object) -> str:
    """The window settings that blurmax does not accept among ``settings`` (a request's fields,
    as a dict), comma-separated; "" when there are none or the mode is not blurmax."""
    if not isinstance(settings, dict) or settings.get("mode") != "blurmax":
        return ""
    fixed = BLURMAX_FIXED.items()
    return ", ".join(name for name, ok in fixed if name in settings and settings[name] not in ok)


class PoolRequest(ShapedRequest):
    """Pooling as torch.nn.functional.max_pool2d / avg_pool2d, or global average pooling."""

    input: Image = Field(description="H×W, or C×H×W (each channel pooled on its own).")
    mode: PoolMode = Field("max", description=POOL_MODES)
    kernel_size: PositiveIntOrPair = Field(2, description="Window size: an int or [kh, kw].")
    stride: PositiveIntOrPair | None = Field(None, description="Stride; null: kernel_size.")
    padding: NonNegativeIntOrPair = Field(0, description="Padding, at most half the kernel.")
    dilation: PositiveIntOrPair = Field(1, description="Spacing of the window cells.")
    ceil_mode: bool = Field(False, description="⌈⌉ instead of ⌊⌋ in the output size.")
    count_include_pad: bool = Field(True, description="avg: count padding in the divisor.")

    @model_validator(mode="before")
    @classmethod
    def _blurmax_window_is_fixed(cls, data: object) -> object:
        if names := blurmax_changed(data):
            raise PydanticCustomError(
                "blurmax_fixed_window",
                "blurmax has a fixed window (2×2 max at stride 1, 3×3 blur at stride 2, "
                "reflect padding 1); leave out {names}",
                {"names": names},
            )
        return data

    def geometry(self) -> PoolGeometry | BlurMaxGeometry:
        """Output size from the shapes (raises InvalidInput on impossible settings)."""
        if self.mode == "blurmax":
            return blurmax_geometry(self.input.shape)
        return pool_geometry(
            self.input.shape,
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
        )

    def needs_geometry(self) -> bool:
        """Global average pooling: one mean per channel, bounded by the input itself."""
        return self.mode != "global_avg"

    answer = answer_size.pool

    def check_limits(self, geometry: PoolGeometry | BlurMaxGeometry, settings: Settings) -> None:
        """422 over the pooling's work."""
        check_pool_compute(geometry, settings)


class PoolResponse(ResultModel):
    """The pooled map, its size worked out, and where every maximum came from."""

    mode: PoolMode = Field(description="The pooling computed.")
    output: Map = Field(description="H_out×W_out, or C×H_out×W_out (global_avg: 1×1 each).")
    output_shape: list[int] = Field(description="[H_out, W_out] or [C, H_out, W_out].")
    formula: Formula | None = Field(description="The output size worked out (null: global).")
    argmax: Listed[Argmax | None] = Field(
        description="max: [row, col] of each output's first maximum."
    )
