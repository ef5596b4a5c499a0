"""Loading a model for training: unsloth or bitsandbytes 4-bit (QLoRA) on CUDA, plain LoRA on CPU.

GPU-only packages (unsloth, bitsandbytes) come with the ``gpu`` extra and are
imported lazily here; the CPU path never imports them.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

__all__ = ["backend_name", "cpu_safe_args", "load_for_training", "lora_config"]

log = logging.getLogger(__name__)


def backend_name(use_unsloth: bool, load_in_4bit: bool) -> str:
    """Which loader applies here: ``unsloth`` (CUDA with the ``gpu`` extra), ``bnb-4bit`` (QLoRA: NF4 base
    weights through bitsandbytes, on CUDA or, slowly, on the CPU) or ``plain`` (LoRA on full-precision weights).

    Raises:
        InputError: ``load_in_4bit`` without bitsandbytes installed (the option would otherwise be ignored).
    """
    import torch

    if use_unsloth and torch.cuda.is_available() and importlib.util.find_spec("unsloth") is not None:
        return "unsloth"
    if load_in_4bit:
        if importlib.util.find_spec("bitsandbytes") is None:
            from ..errors import InputError

            raise InputError(
                "--load_in_4bit needs bitsandbytes: pip install bitsandbytes==0.50.2 (it runs NF4 layers on the CPU too)"
            )
        return "bnb-4bit"
    return "plain"


def lora_config(model_args: Any) -> Any:
    """A peft ``LoraConfig`` from TRL's ``ModelConfig`` (all linear layers unless targets are given)."""
    from peft import LoraConfig

    return LoraConfig(
        r=model_args.lora_r,
        lora_alpha=model_args.lora_alpha,
        lora_dropout=model_args.lora_dropout,
        target_modules=model_args.lora_target_modules or "all-linear",
        modules_to_save=model_args.lora_modules_to_save,
        task_type="CAUSAL_LM",
        use_rslora=model_args.use_rslora,
    )


#: unsloth's LoRA targets when ``lora_target_modules`` is not given (every linear layer of a Llama block)
UNSLOTH_DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def unsloth_peft_kwargs(model_args: Any) -> dict[str, Any]:
    """``FastLanguageModel.get_peft_model`` arguments from TRL's ``ModelConfig``: the same LoRA settings as
    :func:`lora_config` (rank, alpha, dropout, ``lora_target_modules``, modules to save, rsLoRA)."""
    targets = model_args.lora_target_modules
    if isinstance(targets, str):
        targets = None if targets == "all-linear" else [targets]
    return {
        "r": model_args.lora_r,
        "lora_alpha": model_args.lora_alpha,
        "lora_dropout": model_args.lora_dropout,
        "target_modules": list(targets) if targets else list(UNSLOTH_DEFAULT_TARGETS),
        "modules_to_save": model_args.lora_modules_to_save,
        "use_rslora": model_args.use_rslora,
        "use_gradient_checkpointing": "unsloth",
    }


def cpu_safe_args(args: Any) -> Any:
    """Turn off what TRL enables by default but a CPU cannot do (gradient checkpointing; bf16 unless asked for).

    Without CUDA, bf16 mixed precision (autocast) is kept only when asked for with ``use_cpu`` as well
    (``--bf16 true --use_cpu true``: transformers refuses bf16 on a CPU without ``use_cpu``); TRL's default
    ``bf16=True`` is turned off. ``mixed_precision``, which transformers derives from ``bf16`` when the
    arguments are built, is set to match, so the trainer computes in the precision the arguments say.
    """
    import torch

    if not torch.cuda.is_available():
        keep_bf16 = bool(getattr(args, "bf16", False) and getattr(args, "use_cpu", False))
        if (getattr(args, "bf16", False) and not keep_bf16) or getattr(args, "gradient_checkpointing", False):
            log.info("no CUDA: training without gradient checkpointing, in %s", "bf16" if keep_bf16 else "fp32")
        args.bf16 = keep_bf16
        args.fp16 = False
        if hasattr(args, "mixed_precision"):
            args.mixed_precision = "bf16" if keep_bf16 else "no"
        args.gradient_checkpointing = False
        if str(getattr(args, "optim", "")).startswith("adamw_bnb") and importlib.util.find_spec("bitsandbytes") is None:
            log.warning("optim=%s needs bitsandbytes (the gpu extra); using adamw_torch", args.optim)
            args.optim = "adamw_torch"
    return args


def load_for_training(
    model_args: Any, adapter: str | None = None, max_seq_length: int = 2048, use_unsloth: bool = True
) -> tuple[Any, Any, Any]:
    """Load the model to train and its tokenizer.

    Args:
        model_args: TRL ``ModelConfig`` (model id/path, LoRA settings, ``load_in_4bit``).
        adapter: an existing LoRA adapter to keep training (e.g. SFT before DPO);
            the trainer keeps a frozen copy of it as the reference.
        max_seq_length: for unsloth.
        use_unsloth: prefer unsloth when installed and CUDA is present.

    Returns:
        ``(model, tokenizer, peft_config)``: ``peft_config`` is for the trainer to
        wrap the model with, or None when the model already carries its adapter.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..model_files import resolve_model

    path = resolve_model(model_args.model_name_or_path)
    backend = backend_name(use_unsloth, model_args.load_in_4bit)
    log.info("loading %s for training (backend: %s)", path, backend)
    if backend == "unsloth":
        from unsloth import FastLanguageModel  # lazily: raises without a GPU

        model, tok = FastLanguageModel.from_pretrained(path, max_seq_length=max_seq_length, load_in_4bit=model_args.load_in_4bit)
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter, is_trainable=True)
        else:
            model = FastLanguageModel.get_peft_model(model, **unsloth_peft_kwargs(model_args))
        peft_cfg = None
    else:
        kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if torch.cuda.is_available() else torch.float32}
        if backend == "bnb-4bit":
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type=model_args.bnb_4bit_quant_type,
                bnb_4bit_use_double_quant=model_args.use_bnb_nested_quant,
                bnb_4bit_compute_dtype=torch.bfloat16 if torch.cuda.is_available() else torch.float32,
            )
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        tok = AutoTokenizer.from_pretrained(path)
        if backend == "bnb-4bit":
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model)
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter, is_trainable=True)
            peft_cfg = None
        else:
            peft_cfg = lora_config(model_args)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok, peft_cfg
