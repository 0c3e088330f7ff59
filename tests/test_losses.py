import pytest
import torch

from hashlib_core.losses import dsh_pairwise_loss


def test_dsh_loss_by_hand_on_two_pairs():
    outputs = torch.tensor([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 0])
    # pairs (0,1): dissimilar, d2=4, margin 4 -> 0; (0,2): similar, d2=0 -> 0; (1,2): dissimilar, d2=4 -> 0
    assert dsh_pairwise_loss(outputs, labels).item() == pytest.approx(0.0)
    # margin 6: each dissimilar pair adds 1/2 * (6 - 4) = 1, mean over 3 pairs = 2/3
    assert dsh_pairwise_loss(outputs, labels, margin=6.0).item() == pytest.approx(2 / 3)


def test_dsh_loss_equals_the_mean_of_eq1_over_all_in_batch_pairs():
    torch.manual_seed(0)
    outputs, labels = torch.randn(7, 12), torch.randint(0, 3, (7,))
    alpha, margin = 0.01, 24.0
    terms = []
    for i in range(7):
        for j in range(i + 1, 7):
            squared = (outputs[i] - outputs[j]).pow(2).sum()
            y = float(labels[i] != labels[j])
            regulariser = (outputs[i].abs() - 1).abs().sum() + (outputs[j].abs() - 1).abs().sum()
            terms.append(0.5 * (1 - y) * squared + 0.5 * y * torch.clamp(margin - squared, min=0)
                         + alpha * regulariser)
    assert dsh_pairwise_loss(outputs, labels).item() == pytest.approx(torch.stack(terms).mean().item(), rel=1e-5)


def test_dsh_loss_has_finite_gradients_with_identical_outputs():
    outputs = torch.ones(4, 8, requires_grad=True)
    dsh_pairwise_loss(outputs, torch.tensor([0, 0, 1, 1])).backward()
    assert torch.isfinite(outputs.grad).all()


def test_dsh_loss_rejects_bad_shapes():
    with pytest.raises(ValueError, match="at least two"):
        dsh_pairwise_loss(torch.zeros(1, 4), torch.zeros(1, dtype=torch.long))
    with pytest.raises(ValueError, match="outputs must be"):
        dsh_pairwise_loss(torch.zeros(3, 4), torch.zeros(2, dtype=torch.long))


def test_dsh_loss_is_twice_the_official_dsh_layer_with_the_regulariser_summed_over_bits():
    torch.manual_seed(1)
    outputs, labels = torch.randn(6, 16), torch.randint(0, 2, (6,))
    n, alpha, margin = 6, 0.01, 32.0
    pair_sum = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            squared = (outputs[i] - outputs[j]).pow(2).sum()
            similar = bool(labels[i] == labels[j])
            pair_sum += 0.5 * squared if similar else 0.5 * torch.clamp(margin - squared, min=0)
    layer = pair_sum / (n * (n - 1)) + alpha * (outputs.abs() - 1).abs().sum() / n
    assert dsh_pairwise_loss(outputs, labels, alpha=alpha).item() == pytest.approx(2 * layer.item(), rel=1e-5)


def test_dsh_regulariser_has_a_non_zero_gradient_pulling_outputs_towards_plus_minus_one():
    # a popular reimplementation used |1 - sign(u)|, whose gradient is zero everywhere
    outputs = torch.tensor([[0.5, -2.0], [0.5, -2.0]], requires_grad=True)
    dsh_pairwise_loss(outputs, torch.tensor([0, 0]), alpha=1.0).backward()  # one similar pair at distance 0
    assert (outputs.grad != 0).all()
    stepped = (outputs - 0.1 * outputs.grad).detach()
    assert ((stepped.abs() - 1).abs() < (outputs.detach().abs() - 1).abs()).all()  # 0.5 -> 1 and -2 -> -1


def test_dsh_margin_defaults_to_twice_the_code_length():
    outputs = torch.zeros(2, 24)  # one dissimilar pair at distance 0: the hinge is the whole margin
    value = dsh_pairwise_loss(outputs, torch.tensor([0, 1]), alpha=0.0).item()
    assert value == pytest.approx(0.5 * 2 * 24)
    assert dsh_pairwise_loss(torch.zeros(2, 48), torch.tensor([0, 1]), alpha=0.0).item() == pytest.approx(48.0)


def test_a_pair_loss_is_computed_in_float32_under_bf16_autocast():
    # the pair distances |bi|^2 + |bj|^2 - 2 bi.bj come from a matmul, which autocast would run in bfloat16 even
    # on float32 inputs: the objective must compute the loss outside autocast
    from hashlib_core.objectives import PairwiseLoss
    from types import SimpleNamespace

    generator = torch.Generator().manual_seed(0)
    outputs = torch.randn(64, 48, generator=generator) * 3
    labels = torch.randint(0, 10, (64,), generator=generator)
    objective = PairwiseLoss(dsh_pairwise_loss, lambda model, inputs: inputs)
    exact = dsh_pairwise_loss(outputs.double(), labels)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, _ = objective(None, outputs, SimpleNamespace(labels=labels))
        unguarded = dsh_pairwise_loss(outputs, labels)
    assert loss.dtype == torch.float32
    assert abs(loss.item() - exact.item()) < 1e-6 * abs(exact.item())
    assert abs(unguarded.item() - exact.item()) > 1e-6 * abs(exact.item())  # what the guard prevents
