"""TRL's DPOTrainer with cfdpo's preference losses plugged in through ``compute_loss``.

The loss is looked up by name in :data:`cfdpo.training.losses.LOSSES` (a pure
function of the four sequence log-probabilities), so adding a loss is adding a
function, not another branch. TRL ships no DPOP.

Cheaper steps: with ``truncation_mode="keep_end"`` pairs are cut by
:class:`~cfdpo.training.collate.SharedPromptCollator` (one prompt window for
both completions), and the policy's forward pass then reads each pair's shared
prompt once (its keys and values are reused, with their gradients, for the
chosen and the rejected completion) and projects onto the vocabulary only the
completion positions. The log-probabilities are those of the plain forward
pass (checked to 1e-5 in ``tests/test_training.py``); a step costs about
prompt + 2 completions instead of 2 x (prompt + completion) tokens.
"""

from __future__ import annotations

from typing import Any

import torch
from trl import DPOTrainer

from .collate import SharedPromptCollator
from .losses import get_loss

__all__ = ["PreferenceTrainer", "shared_prefix_length", "shared_prefix_logits"]


def shared_prefix_length(input_ids: torch.Tensor, completion_mask: torch.Tensor) -> int:
    """Tokens at the start of every row before any completion token, where row ``i`` (chosen) and row
    ``i + B`` (rejected) hold the same ids: what the two rows of each pair can share. 0 when none.

    Args:
        input_ids, completion_mask: ``[2B, L]`` (``[chosen; rejected]``, right padded, as TRL collates).
    """
    n, length = input_ids.shape[0] // 2, input_ids.shape[1]
    has = completion_mask.bool()
    first = torch.where(has.any(dim=1), has.float().argmax(dim=1), torch.full_like(has[:, 0], length, dtype=torch.long))
    p = int(first.min().item())
    if p == 0 or not torch.equal(input_ids[:n, :p], input_ids[n:, :p]):
        return 0
    return p


def shared_prefix_logits(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, p: int) -> tuple[torch.Tensor, int]:
    """Next-token logits of positions ``p-1 .. L-2`` of every row, reading the first ``p`` tokens once per pair.

    The first ``p`` tokens of the B pairs go through the model once (with gradients); their cached keys and
    values are then repeated for the chosen and the rejected rows, which read only their remaining tokens.
    Only the logits that score positions ``p .. L-1`` are computed.

    Args:
        model: a causal LM taking ``past_key_values`` and ``logits_to_keep`` (transformers' models do).
        input_ids, attention_mask: ``[2B, L]``, rows ``i`` and ``i + B`` equal on ``[:p]``.
        p: from :func:`shared_prefix_length`, at least 1.

    Returns:
        ``(logits [2B, L-p, V], p)``: ``logits[:, j]`` predicts token ``p + j``.
    """
    n = input_ids.shape[0] // 2
    head = model(input_ids=input_ids[:n, :p], attention_mask=attention_mask[:n, :p], use_cache=True, logits_to_keep=1)
    cache = head.past_key_values
    both = torch.cat([torch.arange(n), torch.arange(n)]).to(input_ids.device)
    for layer in cache.layers:
        layer.reorder_cache(both)  # [prefix; prefix]: differentiable index_select
    if input_ids.shape[1] == p:
        return head.logits[both], p
    tail = model(input_ids=input_ids[:, p:], attention_mask=attention_mask, past_key_values=cache, use_cache=True)
    return torch.cat([head.logits[both], tail.logits[:, :-1, :]], dim=1), p


_NON_MODEL_KEYS = {"completion_mask", "ref_chosen_logps", "ref_rejected_logps"}


class PreferenceTrainer(DPOTrainer):
    """DPOTrainer whose loss is a cfdpo preference loss.

    Args:
        preference_loss: a name in :data:`~cfdpo.training.losses.LOSSES` (``sigmoid``, ``dpop``).
        loss_kwargs: extra arguments of that loss (``{"lam": 50.0}`` for DPOP).
        share_prompt: read a pair's shared prompt once (see the module docstring); False: the plain forward
            pass on every row.
        *args, **kwargs: as for ``trl.DPOTrainer``; ``args.beta`` is the β of the loss. With
            ``args.truncation_mode == "keep_end"`` and no ``data_collator``, the collator is
            :class:`~cfdpo.training.collate.SharedPromptCollator`.

    Logged per step: ``rewards/chosen``, ``rewards/rejected``, ``rewards/margins``,
    ``rewards/accuracies``, ``logps/chosen``, ``logps/rejected`` and ``dpop/penalty``
    (mean of max(0, log π_ref(y_w) - log π(y_w))).
    """

    def __init__(
        self,
        *args: Any,
        preference_loss: str = "sigmoid",
        loss_kwargs: dict[str, Any] | None = None,
        share_prompt: bool = True,
        **kwargs: Any,
    ) -> None:
        train_args = kwargs.get("args")
        tok = kwargs.get("processing_class")
        if (
            kwargs.get("data_collator") is None
            and train_args is not None
            and tok is not None
            and train_args.truncation_mode == "keep_end"
            and train_args.max_length
        ):
            pad = train_args.pad_token or tok.pad_token or tok.eos_token
            kwargs["data_collator"] = SharedPromptCollator(
                pad_token_id=tok.convert_tokens_to_ids(pad),
                max_length=train_args.max_length,
                pad_to_multiple_of=train_args.pad_to_multiple_of,
            )
        self.share_prompt = share_prompt
        self.loss_fn, allowed = get_loss(preference_loss)
        self.loss_kwargs = dict(loss_kwargs or {})
        unknown = set(self.loss_kwargs) - set(allowed)
        if unknown:
            raise ValueError(f"loss {preference_loss!r} takes {allowed}, not {sorted(unknown)}")
        self.preference_loss = preference_loss
        super().__init__(*args, **kwargs)

    def _sequence_logps(self, model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Summed log-probabilities of each row's completion tokens, shape ``[2B]`` (``[chosen; rejected]``)."""
        from trl.trainer.utils import selective_log_softmax

        shared = shared_prefix_length(inputs["input_ids"], inputs["completion_mask"])
        if self.share_prompt and shared >= 2 and not self.args.gradient_checkpointing:
            logits, start = shared_prefix_logits(model, inputs["input_ids"], inputs["attention_mask"], shared)
        else:
            model_kwargs: dict[str, Any] = {k: v for k, v in inputs.items() if k not in _NON_MODEL_KEYS}
            model_kwargs["use_cache"] = False
            logits, start = model(**model_kwargs).logits[..., :-1, :], 1
        mask = inputs["completion_mask"][..., start:]
        per_token = selective_log_softmax(logits, inputs["input_ids"][..., start:], row_mask=mask)
        return (per_token * mask).sum(dim=1)

    def _compute_ref_log_probs(self, model: Any, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Reference log-probabilities (``[B]`` chosen, ``[B]`` rejected) as TRL computes them (no gradients,
        the reference adapter or none), through :meth:`_sequence_logps` so the prompt is read once per pair."""
        import contextlib

        from trl.trainer import dpo_trainer as trl_dpo

        context: Any = contextlib.nullcontext()
        if self.ref_model is None and trl_dpo.is_peft_model(self.model):
            unwrapped = self.accelerator.unwrap_model(self.model)
            context = trl_dpo.use_adapter(unwrapped, adapter_name="ref" if "ref" in unwrapped.peft_config else None)
        kwargs: Any = self.args.gradient_checkpointing_kwargs
        policy: Any = self.model
        with torch.no_grad(), trl_dpo.disable_gradient_checkpointing(policy, kwargs), context:
            return self._sequence_logps(model, inputs).chunk(2, dim=0)

    def compute_loss(
        self, model: Any, inputs: dict[str, torch.Tensor], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        mode = "train" if model.training else "eval"
        chosen_logps, rejected_logps = self._sequence_logps(model, inputs).chunk(2, dim=0)  # batch: [chosen; rejected]
        if self.precompute_ref_logps:
            ref_chosen, ref_rejected = inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]
        else:
            ref_chosen, ref_rejected = self.compute_ref_log_probs(model, inputs)
        out = self.loss_fn(
            chosen_logps, rejected_logps, ref_chosen.detach(), ref_rejected.detach(), beta=self.beta, **self.loss_kwargs
        )
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
