"""Statistics for small evaluations: a rate's Wilson interval and the exact McNemar test.

With n programs a compile rate's 95% interval is about ±1/sqrt(n) (±22 points
at n = 20, ±7 at n = 200), so a claim that one model beats another needs the
interval and a paired test. Two models evaluated on the same programs are
compared by the exact McNemar test (McNemar 1947; exact form: a two-sided
binomial test on the discordant programs, b ~ Binomial(b + c, 1/2)), which
uses only the programs whose verdict changed: ``fixed`` (bad → good) and
``broken`` (good → bad).

Implementations are statsmodels' (``proportion_confint(method="wilson")`` and
``mcnemar(exact=True)``); this module only shapes their inputs and outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["McNemarResult", "mcnemar_exact", "rate", "wilson_interval"]


def wilson_interval(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``k / n`` (Wilson 1927).

    Args:
        k: successes (0 <= k <= n).
        n: trials.
        alpha: 1 - confidence (0.05: a 95% interval).

    Returns:
        ``(low, high)`` as fractions in [0, 1]; ``(0.0, 1.0)`` when ``n == 0``.

    Raises:
        ValueError: ``k`` outside ``[0, n]``.
    """
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


def rate(k: int, n: int, alpha: float = 0.05) -> dict[str, Any]:
    """``{"k", "n", "rate", "ci_low", "ci_high"}`` with the Wilson interval (rates as fractions, 4 decimals)."""
    lo, hi = wilson_interval(k, n, alpha)
    return {"k": k, "n": n, "rate": round(k / n, 4) if n else None, "ci_low": round(lo, 4), "ci_high": round(hi, 4)}


@dataclass(frozen=True)
class McNemarResult:
    """A paired comparison of two models' per-program verdicts (``a`` = baseline, ``b`` = candidate).

    Attributes:
        n: programs both were judged on.
        fixed: programs bad under ``a`` and good under ``b``.
        broken: programs good under ``a`` and bad under ``b``.
        p_value: exact two-sided McNemar p value (1.0 when no program changed).
        rate_a, rate_b: the two rates on these ``n`` programs.
    """

    n: int
    fixed: int
    broken: int
    p_value: float
    rate_a: float | None
    rate_b: float | None

    def to_dict(self) -> dict[str, Any]:
        """Fields as a dict: rates to 6 decimals, the p value to 4 significant digits (a tiny p stays > 0)."""
        return {
            k: (float(f"{v:.4g}") if k == "p_value" else round(v, 6) if isinstance(v, float) else v)
            for k, v in asdict(self).items()
        }


def mcnemar_exact(a: Mapping[str, bool], b: Mapping[str, bool]) -> McNemarResult:
    """Exact McNemar test on the programs present in both verdict maps.

    Args:
        a: baseline verdicts, program id → good.
        b: candidate verdicts, program id → good.

    Returns:
        A :class:`McNemarResult`; programs judged by only one side are left out.
    """
    common = sorted(set(a) & set(b))
    fixed = sum(1 for k in common if not a[k] and b[k])
    broken = sum(1 for k in common if a[k] and not b[k])
    both = sum(1 for k in common if a[k] and b[k])
    p = 1.0
    if fixed + broken:
        from statsmodels.stats.contingency_tables import mcnemar

        neither = len(common) - fixed - broken - both
        p = float(mcnemar([[neither, fixed], [broken, both]], exact=True).pvalue)
    n = len(common)
    return McNemarResult(
        n=n,
        fixed=fixed,
        broken=broken,
        p_value=min(1.0, p),
        rate_a=round((both + broken) / n, 4) if n else None,
        rate_b=round((both + fixed) / n, 4) if n else None,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p values (Holm 1979, step-down Bonferroni) for one family of tests, in input order.

    Controls the family-wise error rate: the k-th smallest p is multiplied by ``m - k + 1`` and the results are
    made monotone. Computed by statsmodels (``multipletests(method="holm")``).
    """
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(f"{p:.4g}") for p in multipletests(list(p_values), method="holm")[1]]
