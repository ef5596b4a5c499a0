"""The pipeline's and the loop's training configuration as nested sections that speak TRL.

A recipe holds four sections, each with exactly the keys of the TRL / transformers class it names (the keys
``cfdpo sft --config`` and ``cfdpo dpo --config`` take)::

    train:            # TrainingArguments keys shared by SFT and DPO (plus max_length)
      optim: adamw_torch
      weight_decay: 0.0
      max_length: 512
    sft:              # trl.SFTConfig
      learning_rate: 2.0e-4
      max_steps: 16
      per_device_train_batch_size: 4
    dpo:              # trl.DPOConfig
      learning_rate: 1.0e-4
      max_steps: 95
      per_device_train_batch_size: 2
      beta: 0.1
      truncation_mode: keep_end
    lora:             # trl.ModelConfig (LoRA / QLoRA)
      lora_r: 16
      lora_alpha: 16

On the command line ``--dpo.beta 0.2`` (or ``--dpo.beta=0.2``) overrides one key; values are read as YAML
(``--train.bf16 true``). A stage's config is, in order of precedence: the section of its own kind, then
``train``, then :data:`DEFAULTS` (the settings the pipeline measured with; ``save_steps`` is half the steps,
at least 10; ``bf16`` and ``gradient_checkpointing`` are on with CUDA; ``bf16`` on a CPU also sets
``use_cpu``). ``output_dir`` and ``seed`` come from the pipeline (``--out``, ``--seed``) and are refused in a
section. ``cfdpo pipeline/loop --dry_run`` prints the resolved configs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULTS",
    "MOVED_KEYS",
    "SECTIONS",
    "TrainingSections",
    "dpo_config",
    "merge_section_flags",
    "model_config",
    "moved_key_hint",
    "resolved_configs",
    "sections_of",
    "sft_config",
    "take_section_flags",
]

#: each section and the class whose keys it takes
SECTIONS = {"train": "TrainingArguments", "sft": "SFTConfig", "dpo": "DPOConfig", "lora": "ModelConfig"}

#: the pipeline's own defaults, per section (what the former hidden constants and flat keys said)
DEFAULTS: dict[str, dict[str, Any]] = {
    "train": {
        "lr_scheduler_type": "linear",
        "optim": "adamw_torch",
        "weight_decay": 0.01,
        "gradient_accumulation_steps": 1,
        "logging_steps": 5,
        "save_total_limit": 1,
        "report_to": "none",
        "max_length": 1024,
    },
    "sft": {"learning_rate": 2e-4, "max_steps": 100, "per_device_train_batch_size": 4},
    "dpo": {
        "learning_rate": 5e-6,
        "max_steps": 50,
        "per_device_train_batch_size": 2,
        "beta": 0.1,
        "truncation_mode": "keep_end",
    },
    "lora": {"lora_r": 16, "lora_alpha": 16, "lora_dropout": 0.05},
}

#: the flat keys these sections replace, and what to write instead
MOVED_KEYS = {
    "sft_learning_rate": "sft.learning_rate",
    "sft_max_steps": "sft.max_steps",
    "sft_batch_size": "sft.per_device_train_batch_size",
    "dpo_learning_rate": "dpo.learning_rate",
    "dpo_max_steps": "dpo.max_steps",
    "dpo_batch_size": "dpo.per_device_train_batch_size",
    "beta": "dpo.beta",
    "truncation_mode": "dpo.truncation_mode",
    "lora_r": "lora.lora_r",
    "lora_alpha": "lora.lora_alpha",
    "lora_dropout": "lora.lora_dropout",
    "load_in_4bit": "lora.load_in_4bit",
    "cpu_bf16": "train.bf16",
    "optim": "train.optim",
    "weight_decay": "train.weight_decay",
    "max_length": "train.max_length",
    "gradient_accumulation_steps": "train.gradient_accumulation_steps",
    "loss": "dpo.loss_type",
}

#: keys the pipeline sets itself
_OWN = {"output_dir": "--out", "seed": "--seed", "model_name_or_path": "--model"}


def _section_help(name: str) -> str:
    return (
        f"{SECTIONS[name]} keys, as a YAML section `{name}:` or flags --{name}.KEY VALUE "
        f"(default: {DEFAULTS[name]}; see cfdpo.stages.training_sections)."
    )


@dataclass
class TrainingSections:
    """The nested training sections of the pipeline and the loop (see the module docstring)."""

    train: dict[str, Any] = field(default_factory=dict, metadata={"help": _section_help("train")})
    sft: dict[str, Any] = field(default_factory=dict, metadata={"help": _section_help("sft")})
    dpo: dict[str, Any] = field(default_factory=dict, metadata={"help": _section_help("dpo")})
    lora: dict[str, Any] = field(default_factory=dict, metadata={"help": _section_help("lora")})

    def check_training_sections(self) -> None:
        """Every section is a mapping of its class's keys, none of them one the pipeline sets itself.

        Raises:
            OptionError: naming the section and the first bad key (with the class's nearest key names).
        """
        import difflib

        from ..errors import OptionError

        for name, cls_name in SECTIONS.items():
            section = getattr(self, name)
            if not isinstance(section, dict):
                raise OptionError(name, f"must be a mapping of {cls_name} keys to values, got {type(section).__name__}")
            keys = _keys(name)
            for key in section:
                if key in _OWN:
                    raise OptionError(f"{name}.{key}", f"is set by the pipeline: use {_OWN[key]}")
                if key not in keys:
                    near = difflib.get_close_matches(str(key), sorted(keys), n=3)
                    hint = f" (did you mean {', '.join(near)}?)" if near else ""
                    raise OptionError(f"{name}.{key}", f"is not a {cls_name} key{hint}")


def _trl_class(name: str) -> type:
    import trl
    from transformers import TrainingArguments

    return TrainingArguments if name == "train" else getattr(trl, SECTIONS[name])


def _keys(name: str) -> set[str]:
    """The keys a section takes: its class's init fields; ``train`` takes the keys SFT and DPO share."""
    if name == "train":
        return _keys("sft") & _keys("dpo")
    return {f.name for f in dataclasses.fields(_trl_class(name)) if f.init}


def _values(p: TrainingSections, kind: str) -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    v: dict[str, Any] = {"bf16": cuda, "gradient_checkpointing": cuda}
    v.update(DEFAULTS["train"])
    v.update(DEFAULTS[kind])
    v.update(p.train)
    v.update(getattr(p, kind))
    v.setdefault("save_steps", max(int(v["max_steps"]) // 2, 10))
    if v.get("bf16") and not cuda:
        v.setdefault("use_cpu", True)  # bf16 autocast on a CPU (measured 1.4x faster steps on AVX512-BF16)
    return v


def sft_config(p: TrainingSections, out: Path) -> Any:
    """The ``trl.SFTConfig`` of the pipeline's SFT stage writing into ``out`` (``p.seed`` is the seed)."""
    from trl import SFTConfig

    return SFTConfig(**_values(p, "sft"), output_dir=str(out), seed=int(getattr(p, "seed", 0)))


def dpo_config(p: TrainingSections, out: Path) -> Any:
    """The ``trl.DPOConfig`` of a DPO / DPOP stage writing into ``out``."""
    from trl import DPOConfig

    return DPOConfig(**_values(p, "dpo"), output_dir=str(out), seed=int(getattr(p, "seed", 0)))


def model_config(p: TrainingSections) -> Any:
    """The ``trl.ModelConfig``: ``p.model`` with LoRA (``lora`` over :data:`DEFAULTS`)."""
    from trl import ModelConfig

    return ModelConfig(model_name_or_path=str(getattr(p, "model", "")), use_peft=True, **{**DEFAULTS["lora"], **p.lora})


def resolved_configs(p: TrainingSections, out: Path) -> dict[str, dict[str, Any]]:
    """Each TRL config the run would build (``SFTConfig``, ``DPOConfig``, ``ModelConfig``), as the keys whose
    values differ from the class's own defaults: what ``--dry_run`` prints."""
    from trl import DPOConfig, ModelConfig, SFTConfig

    def diff(cfg: Any, plain: Any) -> dict[str, Any]:
        a, b = dataclasses.asdict(cfg), dataclasses.asdict(plain)
        return {k: v for k, v in a.items() if b.get(k) != v and not k.startswith("_")}

    sft, dpo = sft_config(p, out / "sft"), dpo_config(p, out / "dpo")
    return {
        "SFTConfig": diff(sft, SFTConfig(output_dir=sft.output_dir, use_cpu=sft.use_cpu, bf16=sft.bf16)),
        "DPOConfig": diff(dpo, DPOConfig(output_dir=dpo.output_dir, use_cpu=dpo.use_cpu, bf16=dpo.bf16)),
        "ModelConfig": diff(model_config(p), ModelConfig()),
    }


def sections_of(types: list[type]) -> set[str]:
    """The nested training sections (``train``, ``sft``, ``dpo``, ``lora``) among the fields of ``types``."""
    return {f.name for t in types if dataclasses.is_dataclass(t) for f in dataclasses.fields(t) if f.name in SECTIONS}


def moved_key_hint(key: str, types: list[type]) -> str | None:
    """What to write instead of a flat training key the nested sections replaced (None: not one, or ``types``
    have no sections)."""
    if not sections_of(types) or key not in MOVED_KEYS:
        return None
    section, sub = MOVED_KEYS[key].split(".")
    return f"{key} is now {section}.{sub}: write it in the nested section `{section}:` ({sub}: ...) or as --{section}.{sub}"


def take_section_flags(args: list[str], sections: set[str]) -> dict[str, dict[str, Any]]:
    """Remove ``--section.key VALUE`` / ``--section.key=VALUE`` from ``args`` and return them by section
    (values read as YAML: ``true``, ``0.2``, ``[q_proj, v_proj]``).

    Raises:
        UsageError: a section flag without a value.
    """
    import yaml

    from ..errors import UsageError

    got: dict[str, dict[str, Any]] = {}
    i = 0
    while i < len(args):
        a = args[i]
        head = a[2:].split("=", 1)[0] if a.startswith("--") else ""
        section, _, key = head.partition(".")
        if section in sections and key:
            if "=" in a:
                value, n = a.split("=", 1)[1], 1
            elif i + 1 < len(args):
                value, n = args[i + 1], 2
            else:
                raise UsageError(f"--{head} needs a value")
            got.setdefault(section, {})[key] = yaml.safe_load(value) if value != "" else ""
            del args[i : i + n]
            continue
        i += 1
    return got


def merge_section_flags(
    args: list[str], config: dict[str, Any], types: list[type], config_path: str | None
) -> dict[str, dict[str, Any]]:
    """For a command whose arguments have training sections: move ``--section.key`` flags out of ``args`` into
    ``config`` (over the recipe's section). Returns the flags taken, by section (the flat keys the sections
    replaced are refused by the parser, with :func:`moved_key_hint`).

    Raises:
        UsageError: a section that is not a mapping.
    """
    from ..errors import UsageError

    sections = sections_of(types)
    if not sections:
        return {}
    flags = take_section_flags(args, sections)
    for name, values in flags.items():
        base = config.get(name) or {}
        if not isinstance(base, dict):
            raise UsageError(f"{config_path}: {name} must be a mapping of keys to values")
        config[name] = {**base, **values}
    return flags
