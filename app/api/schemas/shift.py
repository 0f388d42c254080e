"""Request and response models for /api/shift and /api/equivariance."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AliasPath, Field, ValidationInfo, model_validator

from app.api import answer_size
from app.api.schemas.common import (
    ConvolutionRequest,
    Formula,
    Image,
    Image2D,
    Kernel2D,
    Listed,
    Map,
    Padding,
    PaddingMode,
    PositiveIntOrPair,
    RequestModel,
    ResultModel,
    ShiftAmount,
    check_response_bytes,
    settings_of,
)
from app.api.schemas.conv import check_compute
from app.api.schemas.pool import blurmax_changed, check_pool_compute
from app.config import Settings
from app.engine.conv import ConvGeometry


class ShiftRequest(RequestModel):
    """Translate an image by (dx, dy) pixels; cells that come in from outside are 0."""

    image: Image = Field(description="H×W, or C×H×W (every channel shifted alike).")
    dx: ShiftAmount = Field(0, description="Columns to move right (negative: left).")
    dy: ShiftAmount = Field(0, description="Rows to move down (negative: up).")

    @model_validator(mode="after")
    def _within_response_limit(self, info: ValidationInfo) -> Self:
        check_response_bytes(answer_size.shift(self.image.shape).bytes, settings_of(info))
        return self


class ShiftResponse(ResultModel):
    """The shifted image: shifted[i][j] = image[i − dy][j − dx], 0 where that is outside."""

    shifted: Map = Field(description="Same shape as the image.")
    dx: int = Field(description="Columns moved right.")
    dy: int = Field(description="Rows moved down.")


class PoolSettings(RequestModel):
    """The pooling applied after the convolution in the equivariance report."""

    mode: Literal["max", "avg", "blurmax"] = Field("max", description="max, avg or blurmax.")
    kernel_size: PositiveIntOrPair = Field(2, description="Window size (blurmax: 2).")
    stride: PositiveIntOrPair | None = Field(None, description="null: equal to kernel_size.")

    @model_validator(mode="after")
    def _blurmax_window_is_fixed(self) -> Self:
        if names := blurmax_changed(dict(self)):
            raise ValueError(
                "blurmax has a fixed window (2×2 max at stride 1, 3×3 blur at stride 2); "
                f"leave out {names}"
            )
        return self


class EquivarianceRequest(ConvolutionRequest):
    """Compare conv(shift(x)) with shift(conv(x)), then pool both (tutorial Q3c and Q5b)."""

    image: Image2D = Field(description="The H×W image x.")
    kernel: Kernel2D = Field(description="The kh×kw kernel.")
    stride: PositiveIntOrPair = Field(1, description="Convolution stride.")
    padding: Padding = Field(0, description='Convolution padding: int, pair, "valid", "same".')
    padding_mode: PaddingMode = Field("zeros", description="How padding cells are filled.")
    dilation: PositiveIntOrPair = Field(1, description="Convolution dilation.")
    flip_kernel: bool = Field(False, description="True convolution instead of correlation.")
    dx: ShiftAmount = Field(1, description="Columns to shift right (negative: left).")
    dy: ShiftAmount = Field(0, description="Rows to shift down (negative: up).")
    pool: PoolSettings | None = Field(default_factory=PoolSettings, description="null: none.")

    def geometry(self) -> ConvGeometry:
        """The convolution's sizes (raises InvalidInput on impossible shapes)."""
        return self.options().geometry(self.image.shape, self.kernel.shape)

    answer = answer_size.equivariance

    def check_limits(self, geometry: ConvGeometry, settings: Settings) -> None:
        """422 over the work of two convolutions and two poolings."""
        check_compute(geometry, settings, factor=2)
        if self.pool is not None:  # InvalidInput: the engine answers with the readable reason
            check_pool_compute(answer_size.equivariance_pooling(self, geometry), settings)


Grid = Listed[list[list[float]]]
"""An H×W map, read from an engine array."""
Mask = Listed[list[list[bool]]]
"""An H×W mask, read from an engine array."""


class PoolEquivariance(ResultModel):
    """Pooling the two maps: which pooled outputs keep their value after the shift."""

    mode: Literal["max", "avg", "blurmax"] = Field(description="The pooling used.")
    pooled_before: Grid = Field(
        validation_alias=AliasPath("before", "output"), description="pool(conv(x))."
    )
    pooled_after: Grid = Field(
        validation_alias=AliasPath("after", "output"), description="pool(conv(shift(x)))."
    )
    unchanged: Mask = Field(description="True where the pooled value is unchanged.")
    unchanged_count: int = Field(description="Pooled outputs that kept their value.")
    changed_count: int = Field(description="Pooled outputs whose value changed.")
    argmax_before: Listed[list[list[list[int]]] | None] = Field(
        validation_alias=AliasPath("before", "argmax"), description="max: [row, col] before."
    )
    argmax_after: Listed[list[list[list[int]]] | None] = Field(
        validation_alias=AliasPath("after", "argmax"), description="max: [row, col] after."
    )
    formula: Formula = Field(
        validation_alias=AliasPath("before", "formula"), description="The pooled size worked out."
    )


class EquivarianceResponse(ResultModel):
    """The equivariance report: conv(shift(x)) − shift(conv(x)) is 0 away from the borders."""

    shifted_image: Grid = Field(description="shift(x) by (dx, dy), zero fill.")
    conv_output: Grid = Field(description="conv(x).")
    conv_of_shifted: Grid = Field(description="conv(shift(x)).")
    shifted_conv: Grid = Field(description="shift(conv(x)) by the output shift.")
    difference: Grid = Field(description="conv(shift(x)) − shift(conv(x)).")
    interior_mask: Mask = Field(description="Cells unaffected by the borders.")
    interior_cells: int = Field(description="How many cells the mask holds.")
    max_abs_diff_interior: float | None = Field(description="max |difference| inside the mask.")
    max_abs_diff_total: float = Field(description="max |difference| over the whole map.")
    output_shift: list[int] = Field(description="[dx / s_w, dy / s_h]: the shift in output cells.")
    formula: Formula = Field(description="The convolution output size worked out.")
    pool: PoolEquivariance | None = Field(description="Pooling of both maps, when asked.")
