"""Wilson intervals and the exact McNemar test against hand-worked numbers."""

from __future__ import annotations

import math

import pytest

from cfdpo.evaluation.stats import mcnemar_exact, rate, wilson_interval


def _wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(7, 20), (114, 200), (0, 10), (10, 10), (1, 1)])
def test_wilson_matches_the_formula(k: int, n: int) -> None:
    lo, hi = wilson_interval(k, n)
    want = _wilson_by_hand(k, n)
    assert lo == pytest.approx(max(0.0, want[0]), abs=1e-9) and hi == pytest.approx(min(1.0, want[1]), abs=1e-9)


def test_wilson_known_values_and_widths() -> None:
    # 7/20: 35% [18.1, 56.7]; 114/200: 57.0% [50.1, 63.7] (the figures quoted in the issues)
    assert [round(100 * x, 1) for x in wilson_interval(7, 20)] == [18.1, 56.7]
    assert [round(100 * x, 1) for x in wilson_interval(114, 200)] == [50.1, 63.7]
    w20 = wilson_interval(10, 20)
    w200 = wilson_interval(100, 200)
    assert 0.4 < w20[1] - w20[0] < 0.45 and 0.13 < w200[1] - w200[0] < 0.14  # ±~22 vs ±~7 points
    assert rate(0, 0) == {"k": 0, "n": 0, "rate": None, "ci_low": 0.0, "ci_high": 1.0}
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_mcnemar_exact_by_hand() -> None:
    base = {f"p{i}": i < 10 for i in range(20)}  # 10 good of 20
    # 5 fixed, 0 broken: p = 2 * (1/2)^5 = 0.0625; 6 fixed: 0.03125
    five = {**base, **{f"p{i}": True for i in range(10, 15)}}
    r = mcnemar_exact(base, five)
    assert (r.n, r.fixed, r.broken) == (20, 5, 0) and r.p_value == pytest.approx(0.0625)
    assert (r.rate_a, r.rate_b) == (0.5, 0.75)
    six = {**base, **{f"p{i}": True for i in range(10, 16)}}
    assert mcnemar_exact(base, six).p_value == pytest.approx(0.03125)
    # 3 fixed, 1 broken: p = 2 * P(X <= 1 | n=4) = 2 * 5/16 = 0.625
    mixed = {**base, "p10": True, "p11": True, "p12": True, "p0": False}
    r = mcnemar_exact(base, mixed)
    assert (r.fixed, r.broken) == (3, 1) and r.p_value == pytest.approx(0.625)
    assert mcnemar_exact(base, base).p_value == 1.0
    # only the programs both sides judged are paired
    r = mcnemar_exact(base, {"p0": False, "p19": True, "other": True})
    assert (r.n, r.fixed, r.broken) == (2, 1, 1)


def test_a_tiny_mcnemar_p_value_is_kept_in_the_dict() -> None:
    from cfdpo.evaluation.stats import mcnemar_exact

    a = {str(i): i < 5 for i in range(60)}  # 5 broken, 50 fixed, 5 unchanged bad
    b = {str(i): 5 <= i < 55 for i in range(60)}
    d = mcnemar_exact(a, b).to_dict()
    assert (d["fixed"], d["broken"]) == (50, 5)
    # exact two-sided binomial: 2 * P(X <= 5), X ~ Bin(55, 1/2) = 2 * sum_{k<=5} C(55, k) / 2^55
    from math import comb

    expected = 2 * sum(comb(55, k) for k in range(6)) / 2**55
    assert d["p_value"] > 0 and abs(d["p_value"] - expected) / expected < 1e-3


def test_holm_matches_the_hand_worked_step_down() -> None:
    """p = (0.01, 0.04, 0.03), m = 3: sorted 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max(0.06, 0.04)."""
    from cfdpo.evaluation.stats import holm

    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []


def test_compare_gives_holm_beside_every_raw_p() -> None:
    from cfdpo.evaluation.compare import compare, format_markdown

    base = {f"p{i}": {"good": i < 2, "passed": None} for i in range(12)}
    better = {f"p{i}": {"good": i < 10, "passed": None} for i in range(12)}
    same = {f"p{i}": {"good": i < 3, "passed": None} for i in range(12)}
    res = compare({"Base": {"per_program": base}, "A": {"per_program": better}, "B": {"per_program": same}}, ["Base"])
    tests = [r["vs"]["Base"]["compile"] for r in res["rows"] if r["vs"]]
    raw = [t["p_value"] for t in tests]
    assert raw == [float(f"{0.5**8 * 2:.4g}"), 1.0]  # 8 fixed, 0 broken; 1 fixed
    assert [t["p_holm"] for t in tests] == [float(f"{min(1, 2 * raw[0]):.4g}"), 1.0]
    assert "p=0.008 (Holm 0.016)" in format_markdown(res)
