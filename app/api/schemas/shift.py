"""Request and response models for /api/shift and /api/equivariance."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from app.api import answer_size
from app.api.schemas.common import (
    ConvolutionRequest,
    Formula,
    Image,
    Image2D,
    Kernel2D,
    Map,
    Padding,
    PaddingMode,
    PositiveIntOrPair,
    RequestModel,
    ShiftAmount,
    check_response_bytes,
    formula_of,
    settings_of,
)
from app.api.schemas.conv import check_compute
from app.api.schemas.pool import check_pool_compute
from app.config import Settings
from app.engine.conv import ConvGeometry
from app.engine.shift import EquivarianceReport, PoolReport


class ShiftRequest(RequestModel):
    """Translate an image by (dx, dy) pixels; cells that come in from outside are 0."""

    image: Image = Field(description="H×W, or C×H×W (every channel shifted alike).")
    dx: ShiftAmount = Field(0, description="Columns to move right (negative: left).")
    dy: ShiftAmount = Field(0, description="Rows to move down (negative: up).")

    @model_validator(mode="after")
    def _within_response_limit(self, info: ValidationInfo) -> Self:
        check_response_bytes(answer_size.shift(self.image.shape).bytes, settings_of(info))
        return self


class ShiftResponse(BaseModel):
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
        if self.mode == "blurmax":
            allowed = {"kernel_size": (2, (2, 2)), "stride": (None, 2, (2, 2))}
            changed = [name for name, ok in allowed.items() if getattr(self, name) not in ok]
            if changed:
                raise ValueError(
                    "blurmax has a fixed window (2×2 max at stride 1, 3×3 blur at stride 2); "
                    f"leave out {', '.join(changed)}"
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


class PoolEquivariance(BaseModel):
    """Pooling the two maps: which pooled outputs keep their value after the shift."""

    mode: Literal["max", "avg", "blurmax"] = Field(description="The pooling used.")
    pooled_before: list[list[float]] = Field(description="pool(conv(x)).")
    pooled_after: list[list[float]] = Field(description="pool(conv(shift(x))).")
    unchanged: list[list[bool]] = Field(description="True where the pooled value is unchanged.")
    unchanged_count: int = Field(description="Pooled outputs that kept their value.")
    changed_count: int = Field(description="Pooled outputs whose value changed.")
    argmax_before: list[list[list[int]]] | None = Field(description="max: [row, col] before.")
    argmax_after: list[list[list[int]]] | None = Field(description="max: [row, col] after.")
    formula: Formula = Field(description="The pooled size worked out.")


def _pool_fields(pool: PoolReport) -> dict:
    before, after = pool.before, pool.after
    assert before.geometry is not None
    return {
        "mode": pool.mode,
        "pooled_before": before.output.tolist(),
        "pooled_after": after.output.tolist(),
        "unchanged": pool.unchanged.tolist(),
        "unchanged_count": pool.unchanged_count,
        "changed_count": pool.changed_count,
        "argmax_before": None if before.argmax is None else before.argmax.tolist(),
        "argmax_after": None if after.argmax is None else after.argmax.tolist(),
        "formula": formula_of(before.geometry.height, before.geometry.width),
    }


def equivariance_fields(report: EquivarianceReport) -> dict:
    """The response fields of the engine's equivariance report."""
    maps = ("shifted_image", "conv_output", "conv_of_shifted", "shifted_conv", "difference")
    return {
        **{name: getattr(report, name).tolist() for name in maps},
        "interior_mask": report.interior_mask.tolist(),
        "interior_cells": report.interior_cells,
        "max_abs_diff_interior": report.max_abs_diff_interior,
        "max_abs_diff_total": report.max_abs_diff_total,
        "output_shift": report.output_shift,
        "formula": formula_of(report.geometry.height, report.geometry.width),
        "pool": None if report.pool is None else _pool_fields(report.pool),
    }


class EquivarianceResponse(BaseModel):
    """The equivariance report: conv(shift(x)) − shift(conv(x)) is 0 away from the borders."""

    shifted_image: list[list[float]] = Field(description="shift(x) by (dx, dy), zero fill.")
    conv_output: list[list[float]] = Field(description="conv(x).")
    conv_of_shifted: list[list[float]] = Field(description="conv(shift(x)).")
    shifted_conv: list[list[float]] = Field(description="shift(conv(x)) by the output shift.")
    difference: list[list[float]] = Field(description="conv(shift(x)) − shift(conv(x)).")
    interior_mask: list[list[bool]] = Field(description="Cells unaffected by the borders.")
    interior_cells: int = Field(description="How many cells the mask holds.")
    max_abs_diff_interior: float | None = Field(description="max |difference| inside the mask.")
    max_abs_diff_total: float = Field(description="max |difference| over the whole map.")
    output_shift: list[int] = Field(description="[dx / s_w, dy / s_h]: the shift in output cells.")
    formula: Formula = Field(description="The convolution output size worked out.")
    pool: PoolEquivariance | None = Field(description="Pooling of both maps, when asked.")
