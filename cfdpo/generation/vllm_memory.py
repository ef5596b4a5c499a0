"""How much memory a vLLM engine on a CPU may take: the KV cache sized in bytes from the batch, the model's
context and the NUMA node's free memory, checked before the engine starts (a too-small cache otherwise
fails inside vLLM, and a fraction of a node is wrong where nodes differ in size)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CPU_BLOCK_TOKENS", "KVPlan", "kv_bytes_per_token", "kv_cache_plan", "node_free_bytes", "weights_bytes"]

log = logging.getLogger(__name__)


#: tokens per KV-cache block of vLLM's CPU backend (its default ``block_size`` there)
CPU_BLOCK_TOKENS = 128


def kv_bytes_per_token(config: Any, dtype: str) -> int:
    """Bytes of KV cache one token takes: 2 (K and V) x layers x KV heads x head size x dtype bytes.

    Args:
        config: the model's transformers config (``num_hidden_layers``, ``num_key_value_heads`` or
            ``num_attention_heads``, ``head_dim`` or ``hidden_size / num_attention_heads``).
        dtype: ``float32`` (4 bytes) or a 2-byte dtype.
    """
    layers = int(config.num_hidden_layers)
    heads = int(getattr(config, "num_attention_heads", 1) or 1)
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    return 2 * layers * kv_heads * head_dim * (4 if dtype == "float32" else 2)


@dataclass(frozen=True)
class KVPlan:
    """The KV cache of a CPU engine: bytes, and what they were sized from (recorded with results)."""

    kv_cache_bytes: int
    max_model_len: int
    bytes_per_token: int
    wanted_bytes: int
    free_bytes: int
    weights_bytes: int
    clamped: bool


def kv_cache_plan(
    config: Any, dtype: str, options: Any, free_bytes: int, weights_bytes: int, margin_bytes: int = 1 << 30
) -> KVPlan:
    """Size a CPU engine's KV cache by need, not by a fraction of a NUMA node.

    Wanted: ``max_num_seqs x seq_tokens`` tokens (at least one sequence of the full context, which vLLM
    requires), or ``kv_cache_gib`` when given. Half of what is free on the node after the weights and a
    margin caps the automatic size (the judge's compiles and the trainer need the rest; fewer sequences then
    run at once: slower, same outputs); an explicit size is never cut.

    Raises:
        InputError: the KV cache does not fit in the free memory (naming ``--vllm_kv_cache_gb`` and what is
            free), or an explicit size is below one sequence of the context.
    """
    from ..errors import InputError

    per = kv_bytes_per_token(config, dtype)
    ctx = int(getattr(config, "max_position_embeddings", 0) or 2048)
    # one full sequence: vLLM counts whole blocks and keeps one (the null block) for itself, so
    # ceil(ctx / block) + 1 blocks (with ctx + 64 tokens at batch 8 it refused: "0.35 GiB needed ... 8064")
    floor = per * CPU_BLOCK_TOKENS * (-(-ctx // CPU_BLOCK_TOKENS) + 1)
    room = free_bytes - weights_bytes - margin_bytes
    gib = 1024**3
    if options.kv_cache_gib is not None:
        wanted = int(options.kv_cache_gib * gib)
        if wanted < floor:
            raise InputError(
                f"--vllm_kv_cache_gb: {options.kv_cache_gib} GiB holds less than one sequence of the "
                f"model's {ctx}-token context ({floor / gib:.3f} GiB)"
            )
        kv, clamped = wanted, False
    else:
        wanted = max(floor, per * options.max_num_seqs * options.seq_tokens)
        kv = max(floor, min(wanted, room // 2))  # half of what is free: the judge's compiles need memory too
        clamped = kv < wanted
    if kv > room:
        raise InputError(
            f"--vllm_kv_cache_gb: the vLLM KV cache needs {kv / gib:.2f} GiB but {room / gib:.2f} GiB "
            f"is free on this NUMA node after the weights ({weights_bytes / gib:.2f} GiB) and a "
            f"{margin_bytes / gib:.1f} GiB margin; set a smaller --vllm_kv_cache_gb, free memory, or "
            "use --backend hf"
        )
    return KVPlan(kv, ctx, per, wanted, free_bytes, weights_bytes, clamped)


def node_free_bytes() -> int:
    """Free memory as vLLM's CPU worker will measure it: the first allowed NUMA node's available memory,
    clamped by the cgroup's limit (vLLM's own reader)."""
    try:
        from vllm.utils.cpu_resource_utils import get_memory_node_info

        node = 0
        try:
            from vllm.utils.cpu_resource_utils import get_allowed_cpu_list

            node = int(get_allowed_cpu_list()[0].numa_node)
        except Exception:  # noqa: BLE001 - vLLM internals move between releases: node 0
            node = 0
        return int(get_memory_node_info(node).available_memory)
    except Exception:  # noqa: BLE001
        import psutil

        return int(psutil.virtual_memory().available)


def weights_bytes(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).glob("*.safetensors")) or sum(
        f.stat().st_size for f in Path(path).glob("*.bin")
    )
