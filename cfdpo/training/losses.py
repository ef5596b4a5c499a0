"""Preference losses as pure functions of sequence log-probabilities.

Every function takes the summed log-probabilities of the chosen (y_w) and
rejected (y_l) completions under the policy and the reference model, each a
float tensor of shape ``(batch,)``, and returns a :class:`PreferenceLossOutput`
with per-example losses (shape ``(batch,)``; the trainer takes the mean), the
implicit rewards ``beta * (log pi(y|x) - log pi_ref(y|x))`` of chosen and
rejected, and the DPOP penalty (zero for losses without one).

Sources:
    * sigmoid DPO: Rafailov et al. 2023, "Direct Preference Optimization", eq. 7.
    * DPOP (DPO-Positive): Pal et al. 2024, "Smaug: Fixing Failure Modes of
      Preference Optimisation with DPO-Positive", arXiv 2402.13228, eq. 3.

Register a new loss in :data:`LOSSES`; the trainer looks losses up there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "PreferenceLossOutput", "dpop_loss", "get_loss", "sigmoid_dpo_loss"]


@dataclass
class PreferenceLossOutput:
    """Per-example loss terms, each of shape ``(batch,)``."""

    losses: torch.Tensor
    chosen_rewards: torch.Tensor
    rejected_rewards: torch.Tensor
    penalty: torch.Tensor


def sigmoid_dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> PreferenceLossOutput:
    """Sigmoid DPO (Rafailov et al. 2023, eq. 7), with optional conservative label smoothing.

    ``loss = -(1 - eps) * log σ(β h) - eps * log σ(-β h)`` where
    ``h = (log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))``.

    Args:
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps:
            summed completion log-probs, shape ``(batch,)``, nats.
        beta: inverse temperature β (paper setting 0.1).
        label_smoothing: eps in [0, 0.5).
    """
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    logits = beta * (chosen_logratios - rejected_logratios)
    losses = -(1 - label_smoothing) * F.logsigmoid(logits) - label_smoothing * F.logsigmoid(-logits)
    return PreferenceLossOutput(
        losses=losses,
        chosen_rewards=beta * chosen_logratios.detach(),
        rejected_rewards=beta * rejected_logratios.detach(),
        penalty=torch.zeros_like(losses),
    )


def dpop_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float = 0.1,
    lam: float = 50.0,
) -> PreferenceLossOutput:
    """DPO-Positive (Pal et al. 2024, arXiv 2402.13228, eq. 3).

    ``loss = -log σ(β [ (log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))
                         - λ max(0, log π_ref(y_w) - log π(y_w)) ])``

    The penalty keeps the policy from lowering the chosen completion's
    likelihood below the reference's, the failure mode of DPO on pairs with a
    small edit distance. λ = 50 in the paper (insensitive for λ in [5, 500]);
    λ = 0 is sigmoid DPO.

    Args:
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps:
            summed completion log-probs, shape ``(batch,)``, nats.
        beta: inverse temperature β.
        lam: penalty weight λ >= 0.

    Raises:
        ValueError: ``lam < 0``.
    """
    if lam < 0:
        raise ValueError(f"DPOP lambda must be >= 0, got {lam}")
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    penalty = torch.clamp(ref_chosen_logps - policy_chosen_logps, min=0.0)
    logits = beta * (chosen_logratios - rejected_logratios - lam * penalty)
    return PreferenceLossOutput(
        losses=-F.logsigmoid(logits),
        chosen_rewards=beta * chosen_logratios.detach(),
        rejected_rewards=beta * rejected_logratios.detach(),
        penalty=penalty.detach(),
    )


LossFn = Callable[..., PreferenceLossOutput]

#: loss name -> (function, names of the config fields it takes besides beta)
LOSSES: dict[str, tuple[LossFn, tuple[str, ...]]] = {
    "sigmoid": (sigmoid_dpo_loss, ("label_smoothing",)),
    "dpop": (dpop_loss, ("lam",)),
}


def get_loss(name: str) -> tuple[LossFn, tuple[str, ...]]:
    """Look a loss up by name.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown preference loss {name!r}; known: {sorted(LOSSES)}") from None
