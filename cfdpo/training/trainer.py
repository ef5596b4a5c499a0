"""TRL's DPOTrainer with cfdpo's preference losses plugged in through ``compute_loss``.

The loss is looked up by name in :data:`cfdpo.training.losses.LOSSES` (a pure
function of the four sequence log-probabilities), so adding a loss is adding a
function, not another branch. TRL ships no DPOP.
"""

from __future__ import annotations

from typing import Any

import torch
from trl import DPOTrainer

from .losses import get_loss

__all__ = ["PreferenceTrainer"]

_NON_MODEL_KEYS = {"completion_mask", "ref_chosen_logps", "ref_rejected_logps"}


class PreferenceTrainer(DPOTrainer):
    """DPOTrainer whose loss is a cfdpo preference loss.

    Args:
        preference_loss: a name in :data:`~cfdpo.training.losses.LOSSES` (``sigmoid``, ``dpop``).
        loss_kwargs: extra arguments of that loss (``{"lam": 50.0}`` for DPOP).
        *args, **kwargs: as for ``trl.DPOTrainer``; ``args.beta`` is the β of the loss.

    Logged per step: ``rewards/chosen``, ``rewards/rejected``, ``rewards/margins``,
    ``rewards/accuracies``, ``logps/chosen``, ``logps/rejected`` and ``dpop/penalty``
    (mean of max(0, log π_ref(y_w) - log π(y_w))).
    """

    def __init__(self, *args: Any, preference_loss: str = "sigmoid", loss_kwargs: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.loss_fn, allowed = get_loss(preference_loss)
        self.loss_kwargs = dict(loss_kwargs or {})
        unknown = set(self.loss_kwargs) - set(allowed)
        if unknown:
            raise ValueError(f"loss {preference_loss!r} takes {allowed}, not {sorted(unknown)}")
        self.preference_loss = preference_loss
        super().__init__(*args, **kwargs)

    def _sequence_logps(self, model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        from trl.trainer.utils import selective_log_softmax

        model_kwargs: dict[str, Any] = {k: v for k, v in inputs.items() if k not in _NON_MODEL_KEYS}
        model_kwargs["use_cache"] = False
        logits = model(**model_kwargs).logits[..., :-1, :]
        mask = inputs["completion_mask"][..., 1:]
        per_token = selective_log_softmax(logits, inputs["input_ids"][..., 1:], row_mask=mask)
        return (per_token * mask).sum(dim=1)

    def compute_loss(self, model: Any, inputs: dict[str, torch.Tensor], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        mode = "train" if model.training else "eval"
        chosen_logps, rejected_logps = self._sequence_logps(model, inputs).chunk(2, dim=0)  # batch: [chosen; rejected]
        if self.precompute_ref_logps:
            ref_chosen, ref_rejected = inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]
        else:
            ref_chosen, ref_rejected = self.compute_ref_log_probs(model, inputs)
        out = self.loss_fn(chosen_logps, rejected_logps, ref_chosen.detach(), ref_rejected.detach(),
                           beta=self.beta, **self.loss_kwargs)
        loss = out.losses.mean()
        gather = self.accelerator.gather_for_metrics
        m = self._metrics[mode]
        m["rewards/chosen"].append(gather(out.chosen_rewards).mean().item())
        m["rewards/rejected"].append(gather(out.rejected_rewards).mean().item())
        m["rewards/margins"].append(gather(out.chosen_rewards - out.rejected_rewards).mean().item())
        m["rewards/accuracies"].append(gather((out.chosen_rewards > out.rejected_rewards).float()).mean().item())
        m["logps/chosen"].append(gather(chosen_logps.detach()).mean().item())
        m["logps/rejected"].append(gather(rejected_logps.detach()).mean().item())
        m["dpop/penalty"].append(gather(out.penalty).mean().item())
        return (loss, {}) if return_outputs else loss
