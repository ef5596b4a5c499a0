"""Model loading for generation: a model (resolved by :mod:`cfdpo.model_files`: the bundled default, a
directory or an HF id) with its tokenizer and adapter, torch threads, and the merged copy vLLM loads."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from ..model_files import check_model, resolve_model
from ..tempdirs import cache_dir

__all__ = ["generation_tokenizer", "load_model", "merged_model_dir", "set_torch_threads"]

log = logging.getLogger(__name__)


def set_torch_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads (default ``$CFDPO_THREADS`` or the CPU count).

    On a busy 2-core machine two threads can be several times slower than one,
    so tests set 1.
    """
    import torch

    n = n or int(os.environ.get("CFDPO_THREADS", "0")) or (os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


def generation_tokenizer(tok: Any) -> Any:
    """Set a tokenizer up for batched generation (left padding, a pad token: the eos when it has none);
    returns it."""
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(name: str | None = None, adapter: str | None = None, device: str | None = None) -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer for generation.

    Args:
        name: HF model id, local directory, or ``None``/``"smollm2-135m-instruct"``
            for the bundled default.
        adapter: optional PEFT adapter directory to apply on top.
        device: ``cpu``/``cuda``; default cuda when available.

    Returns:
        ``(model, tokenizer)``, the model in eval mode, tokenizer padding on the left.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model(name)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    tok = AutoTokenizer.from_pretrained(path)
    model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
        model = model.merge_and_unload()
    generation_tokenizer(tok)
    model.to(device)
    model.eval()
    return model, tok


def merged_model_dir(name: str | None, adapter: str) -> Path:
    """A model directory with ``adapter`` merged into ``name``'s weights, built once and cached.

    The cache key hashes the resolved base model and every file of the adapter directory, so a retrained
    adapter gets a new directory. Built under a ``.partial`` name and renamed, so a crash never leaves half
    a model in place.

    Raises:
        InputError: the model or adapter cannot be had (see :func:`~cfdpo.model_files.check_model`).
    """
    check_model(name, adapter, option="--model")
    base = resolve_model(name)
    h = hashlib.sha256(base.encode())
    for f in sorted(Path(adapter).iterdir()):
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    out = cache_dir() / "merged" / h.hexdigest()[:20]
    if (out / "config.json").is_file():
        return out
    log.info("merging adapter %s into %s for vLLM (once; cached at %s)", adapter, base, out)
    model, tok = load_model(base, adapter, "cpu")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
