"""The two architectures, BatchNorm folding, augmentation, and the training script's dry run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli import main as cli_main
from app.engine.pooling import max_blur_pool2d
from app.mnist.models import (
    MaxBlurPool2d,
    build,
    build_cnn,
    build_for_training,
    fold_batchnorm,
    parameters_per_layer,
)
from app.mnist.train import Augmentation, augment, confusion_matrix, per_class_accuracy
from tests.mnist.helpers import write_dataset


def test_cnn_layers_are_named_and_small_enough_to_look_at() -> None:
    cnn = build("cnn")
    names = [name for name, _ in cnn.named_children()]
    assert names == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "pool3",
        "flatten", "fc1", "relu4", "fc2",
    ]  # fmt: skip
    convs = [m for m in cnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(conv.out_channels <= 32 for conv in convs)
    assert any(isinstance(m, torch.nn.MaxPool2d) for m in cnn.modules())
    assert sum(p.numel() for p in cnn.parameters()) < 100_000


def test_parameter_counts_follow_the_formulas() -> None:
    # conv: C_out (C_in kh kw + 1); linear: out (in + 1)
    assert parameters_per_layer(build("cnn")) == {
        "conv1": 16 * (1 * 25 + 1),
        "conv2": 32 * (16 * 9 + 1),
        "conv3": 32 * (32 * 9 + 1),
        "fc1": 128 * (288 + 1),
        "fc2": 10 * (128 + 1),
    }
    assert parameters_per_layer(build("fc")) == {"fc1": 100 * 785, "fc2": 10 * 101}


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model 'lenet'"):
        build("lenet")


def test_folding_batchnorm_computes_what_the_trained_network_computes() -> None:
    torch.manual_seed(0)
    trained = build_for_training("cnn", dropout=0.3)
    # give every BatchNorm non-trivial statistics and affine parameters
    for module in trained.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.2, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.3, 0.3)
    trained.eval()
    x = torch.rand(8, 1, 28, 28)

    served = fold_batchnorm(trained)

    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in served.modules())
    assert served.state_dict().keys() == build_cnn().state_dict().keys()
    with torch.no_grad():
        torch.testing.assert_close(served(x), trained(x), rtol=1e-4, atol=1e-5)


def test_folding_the_anti_aliased_cnn_keeps_its_blur_pools() -> None:
    torch.manual_seed(0)
    trained = build_for_training("cnn-aa", dropout=0.1)
    for module in trained.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.2, 2.0)
    trained.eval()
    x = torch.rand(4, 1, 28, 28)

    served = fold_batchnorm(trained)

    assert [type(served.get_submodule(f"pool{i}")).__name__ for i in (1, 2, 3)] == [
        "MaxBlurPool2d"
    ] * 3
    assert served.state_dict().keys() == build("cnn").state_dict().keys()  # the blur is fixed
    with torch.no_grad():
        torch.testing.assert_close(served(x), trained(x), rtol=1e-4, atol=1e-5)


def test_max_blur_pool_module_is_the_engines_max_blur_pool() -> None:
    x = torch.randn(2, 3, 9, 8, dtype=torch.float64)
    module_out = MaxBlurPool2d().double()(x)
    for n in range(2):
        np.testing.assert_allclose(
            module_out[n].numpy(), max_blur_pool2d(x[n].numpy()).output, rtol=1e-12, atol=1e-12
        )


def test_folding_the_fc_model_copies_it() -> None:
    fc = build("fc")
    served = fold_batchnorm(fc)
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(served(x), fc(x))


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1))
def test_augmentation_keeps_shape_range_and_roughly_the_ink(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0  # a bar in the middle, far from the edges

    y = augment(x, generator, Augmentation())

    assert y.shape == x.shape
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    ink = y.sum(dim=(1, 2, 3)) / x.sum(dim=(1, 2, 3))
    # scale 1 ± 0.12 changes area by at most ~25 %; dilation/erosion by a 1-px rim at most
    assert bool(((ink > 0.3) & (ink < 2.5)).all()), ink


def test_augmentation_with_zero_ranges_is_the_identity() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(4, 1, 28, 28)
    still = Augmentation(rotation=0, scale=0, shift=0, thickness=0, thickness_prob=0)
    torch.testing.assert_close(augment(x, generator, still), x, atol=1e-5, rtol=0)


def test_augmentation_shift_moves_the_centre_of_mass_by_that_many_pixels() -> None:
    generator = torch.Generator().manual_seed(3)
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 12:16, 12:16] = 1.0
    shift_only = Augmentation(rotation=0, scale=0, shift=2.5, thickness=0, thickness_prob=0)
    y = augment(x, generator, shift_only)
    cols = torch.arange(28, dtype=torch.float32)
    com_x = (y[:, 0].sum(1) * cols).sum(1) / y[:, 0].sum((1, 2))
    assert float((com_x - 13.5).abs().max()) <= 2.5 + 1e-4
    assert float((com_x - 13.5).abs().max()) > 1.0  # it does move them


def test_augmentation_rotation_by_ninety_degrees_rotates() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 13:15, 4:24] = 1.0  # horizontal bar
    rotate = Augmentation(rotation=90, scale=0, shift=0, thickness=0, thickness_prob=0)
    # draw angles until one is within 1° of ±90°; the bar must then be vertical
    for _ in range(2000):
        state = generator.get_state()
        angle = (torch.rand(1, generator=generator) * 2 - 1) * math.radians(90)
        if abs(abs(float(angle)) - math.pi / 2) < math.radians(1):
            generator.set_state(state)
            y = augment(x, generator, rotate)[0, 0]
            assert float(y[4:24, 13:15].mean()) > 0.8
            assert float(y[13:15, :10].mean()) < 0.1
            return
    pytest.fail("no angle near 90° drawn")


def test_confusion_matrix_and_per_class_accuracy_match_a_hand_count() -> None:
    truth = np.array([0, 0, 1, 1, 1, 9])
    predicted = np.array([0, 1, 1, 1, 7, 9])
    matrix = confusion_matrix(truth, predicted)
    assert matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[1, 1] == 2 and matrix[1, 7] == 1
    assert matrix[9, 9] == 1 and matrix.sum() == 6
    accuracy = per_class_accuracy(matrix)
    assert accuracy[0] == 0.5 and accuracy[1] == pytest.approx(2 / 3) and accuracy[9] == 1.0
    assert accuracy[2] == 0.0  # no 2 in the data


@pytest.mark.parametrize("model", ["cnn", "fc", "cnn-aa"])
def test_train_dry_run_on_a_tiny_synthetic_set_writes_weights_and_card(
    tmp_path: Path, model: str
) -> None:
    sums = write_dataset(tmp_path / "data", n_train=40, n_test=20)
    out = tmp_path / "out"

    code = cli_main(
        ["train", "--model", model, "--dry-run", "--data-dir", str(tmp_path / "data"),
         "--no-verify", "--out-dir", str(out), "--batch-size", "16", "--no-progress",
         "--threads", "1"]
    )  # fmt: skip

    assert code == 0
    card = json.loads((out / f"{model}.json").read_text())
    state = torch.load(out / f"{model}.pt", weights_only=True)
    served = build(model)
    served.load_state_dict(state)  # only a state_dict, loadable into the servable model
    assert card["model"] == model and card["dry_run"] is True and card["epochs"] == 1
    assert card["parameters"] == parameters_per_layer(served)
    assert card["total_parameters"] == sum(p.numel() for p in served.parameters())
    assert len(card["curve"]) == 1 and set(card["curve"][0]) == {
        "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds",
    }  # fmt: skip
    matrix = np.array(card["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 20
    assert card["test_accuracy"] == pytest.approx(np.trace(matrix) / 20)
    assert sorted(card["data_checksums"].values()) == sorted(sums.values())
    assert card["seed"] == 1 and card["wall_time_seconds"] >= 0 and card["date"]


def test_train_dry_run_without_out_dir_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dataset(tmp_path / "data", n_train=20, n_test=10)
    saved: list[object] = []
    monkeypatch.setattr(torch, "save", lambda *args, **kwargs: saved.append(args))

    code = cli_main(["train", "--dry-run", "--data-dir", str(tmp_path / "data"), "--no-verify",
                     "--no-progress", "--threads", "1"])  # fmt: skip

    assert code == 0 and saved == []


def test_train_refuses_standard_checksums_on_self_made_files(tmp_path: Path) -> None:
    from app.mnist.data import MnistDataError

    write_dataset(tmp_path)
    with pytest.raises(MnistDataError, match="has MD5"):
        cli_main(["train", "--dry-run", "--data-dir", str(tmp_path), "--no-progress"])


def test_training_steps_reduce_the_loss_on_a_learnable_toy_problem() -> None:
    # two classes: a bar on the left vs a bar on the right; a few Adam steps must learn it
    torch.manual_seed(0)
    x = torch.zeros(32, 1, 28, 28)
    y = torch.arange(32) % 2
    x[y == 0, :, 6:22, 5:8] = 1
    x[y == 1, :, 6:22, 20:23] = 1
    model = build_for_training("cnn")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
