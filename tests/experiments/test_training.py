"""The training loop's evaluation: batched, without autograd, and the same answers."""

from __future__ import annotations

import pytest
import torch

from app.experiments import models as M
from app.experiments import training as T


@pytest.mark.parametrize("name", ["fc", "lc", "cnn"])
def test_batched_evaluation_counts_what_one_digit_at_a_time_with_autograd_counts(
    name: str,
) -> None:
    torch.manual_seed(7)
    model = {"fc": M.build_fc, "lc": M.build_lc, "cnn": M.build_cnn}[name]()
    x = torch.rand(T.EVAL_BATCH + 37, 1, 28, 28, requires_grad=True)  # the training path
    y = torch.randint(0, 10, (len(x),))
    one_by_one = sum(int(model(x[i : i + 1]).argmax(1) == y[i]) for i in range(len(x)))
    assert T.correct_count(model, x.detach(), y) == one_by_one


@pytest.mark.parametrize("name", ["lc", "cnn"])
def test_evaluation_logits_equal_the_training_paths(name: str) -> None:
    torch.manual_seed(8)
    model = {"lc": M.build_lc, "cnn": M.build_cnn}[name]()
    x = torch.rand(9, 1, 28, 28, requires_grad=True)
    with torch.inference_mode():
        fast = model(x.detach())
    torch.testing.assert_close(fast, model(x).detach(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("l2", [0.001, 0.37])
def test_l2_gradient_added_directly_equals_autograds_penalty_gradient_bit_for_bit(
    l2: float,
) -> None:
    torch.manual_seed(10)
    direct, graph = M.build_fc(), M.build_fc()
    graph.load_state_dict(direct.state_dict())
    x, y = torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,))
    for model in (direct, graph):
        torch.nn.functional.cross_entropy(model(x), y).backward()
    T.add_l2_gradient(direct, l2)
    (l2 * T.l2_penalty(graph)).backward()
    for (name, a), b in zip(direct.named_parameters(), graph.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad), name
