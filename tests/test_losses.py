"""Preference losses against numbers worked by hand.

Notation: w = chosen, l = rejected, logp = summed completion log-prob.

Case A (policy above the reference on the chosen completion)::

    policy  logp_w = -1, logp_l = -3;  reference logp_w = -2, logp_l = -1;  beta = 0.1
    chosen log-ratio  = -1 - (-2) =  1;   rejected log-ratio = -3 - (-1) = -2
    h = 1 - (-2) = 3;  logits = 0.1 * 3 = 0.3
    sigmoid DPO loss  = -log σ(0.3) = log(1 + e^-0.3) = log(1.7408182) = 0.5543552
    DPOP penalty      = max(0, -2 - (-1)) = 0, so DPOP = sigmoid DPO for every λ
    rewards: chosen 0.1 * 1 = 0.1, rejected 0.1 * -2 = -0.2

Case B (every term non-zero: the policy fell below the reference on y_w)::

    policy  logp_w = -3, logp_l = -4;  reference logp_w = -2, logp_l = -2;  beta = 0.1, λ = 5
    chosen log-ratio = -1;  rejected log-ratio = -2;  h = 1
    penalty = max(0, -2 - (-3)) = 1
    DPOP logits = 0.1 * (1 - 5 * 1) = -0.4
    DPOP loss   = log(1 + e^0.4) = log(2.4918247) = 0.9130152
    sigmoid DPO loss (λ = 0) = log(1 + e^-0.1) = log(1.9048374) = 0.6443967
    rewards: chosen -0.1, rejected -0.2
"""

from __future__ import annotations

import pytest
import torch

from cfdpo.training.losses import dpop_loss, get_loss, sigmoid_dpo_loss

A = dict(
    policy_chosen_logps=torch.tensor([-1.0]),
    policy_rejected_logps=torch.tensor([-3.0]),
    ref_chosen_logps=torch.tensor([-2.0]),
    ref_rejected_logps=torch.tensor([-1.0]),
)
B = dict(
    policy_chosen_logps=torch.tensor([-3.0]),
    policy_rejected_logps=torch.tensor([-4.0]),
    ref_chosen_logps=torch.tensor([-2.0]),
    ref_rejected_logps=torch.tensor([-2.0]),
)


def close(t: torch.Tensor, x: float) -> bool:
    return abs(t.item() - x) < 1e-6


def test_case_a_sigmoid_and_zero_penalty():
    s = sigmoid_dpo_loss(**A, beta=0.1)
    assert close(s.losses, 0.5543552)
    assert close(s.chosen_rewards, 0.1) and close(s.rejected_rewards, -0.2)
    for lam in (0.0, 5.0, 50.0, 500.0):
        d = dpop_loss(**A, beta=0.1, lam=lam)
        assert close(d.losses, 0.5543552) and close(d.penalty, 0.0)


def test_case_b_every_term_nonzero():
    d = dpop_loss(**B, beta=0.1, lam=5.0)
    assert close(d.losses, 0.9130152)
    assert close(d.penalty, 1.0)
    assert close(d.chosen_rewards, -0.1) and close(d.rejected_rewards, -0.2)
    assert close(sigmoid_dpo_loss(**B, beta=0.1).losses, 0.6443967)


def test_lambda_zero_is_sigmoid_dpo_on_random_batches():
    g = torch.Generator().manual_seed(0)
    args = {k: -10 * torch.rand(16, generator=g) for k in A}
    assert torch.allclose(dpop_loss(**args, beta=0.3, lam=0.0).losses, sigmoid_dpo_loss(**args, beta=0.3).losses)


def test_penalty_pushes_chosen_logp_up():
    pc = torch.tensor([-3.0], requires_grad=True)
    args = {**B, "policy_chosen_logps": pc}
    dpop_loss(**args, beta=0.1, lam=50.0).losses.sum().backward()
    g_dpop = pc.grad.item()
    pc.grad = None
    sigmoid_dpo_loss(**args, beta=0.1).losses.sum().backward()
    assert g_dpop < pc.grad.item() < 0  # both raise log π(y_w); DPOP much harder


def test_label_smoothing_and_registry():
    s = sigmoid_dpo_loss(**A, beta=0.1, label_smoothing=0.1)
    # 0.9 * log(1 + e^-0.3) + 0.1 * log(1 + e^0.3) = 0.9 * 0.5543552 + 0.1 * 0.8543552
    assert close(s.losses, 0.5843552)
    assert get_loss("dpop")[0] is dpop_loss
    with pytest.raises(ValueError, match="unknown preference loss"):
        get_loss("ipo")
    with pytest.raises(ValueError, match="lambda"):
        dpop_loss(**A, lam=-1.0)
