#!/usr/bin/env python3
"""Reference boundaries for bencher-stats, computed independently with scipy and numpy.

Produced with scipy 1.17.1 and numpy 2.4.6 on Python 3 (venv: `pip install scipy numpy`).
Regenerate with:

    /tmp/scipy-venv/bin/python shared/stats/tests/reference/generate.py

It writes cases.json next to this file. Each case: test, boundaries, optional sample sizes,
the history (newest first, as the crate receives it) and the expected baseline and limits,
or "expected": null when no limits can be computed.
"""

import json
import math
import pathlib

import numpy as np
import scipy
from scipy import stats

HERE = pathlib.Path(__file__).resolve().parent


def mean_sd(xs):
    """Mean and sample standard deviation (ddof=1), or None when no distribution fits."""
    a = np.asarray(xs, dtype=np.float64)
    if a.size < 2:
        return None
    sd = float(np.std(a, ddof=1))
    if not sd > 0.0:
        return None
    return float(np.mean(a)), sd


def mirrored(baseline, centre, ppf, lower, upper):
    return {
        "baseline": baseline,
        "lower_limit": None if lower is None else 2.0 * centre - float(ppf(lower)),
        "upper_limit": None if upper is None else float(ppf(upper)),
    }


def symmetric(baseline, width, lower, upper):
    return {
        "baseline": baseline,
        "lower_limit": None if lower is None else baseline - width(lower),
        "upper_limit": None if upper is None else baseline + width(upper),
    }


def expected(case):
    test, lower, upper = case["test"], case["lower_boundary"], case["upper_boundary"]
    if test == "static":
        return {"baseline": None, "lower_limit": lower, "upper_limit": upper}
    xs = case["history"]
    if case.get("max_sample_size") is not None:
        xs = xs[: case["max_sample_size"]]
    if len(xs) == 0 or len(xs) < (case.get("min_sample_size") or 1):
        return None
    a = np.asarray(xs, dtype=np.float64)
    if test == "percentage":
        mu = float(np.mean(a))
        return symmetric(mu, lambda b: abs(mu) * b, lower, upper)
    if test == "z_score":
        fit = mean_sd(xs)
        if fit is None:
            return None
        mu, sd = fit
        dist = stats.norm(loc=mu, scale=sd)
        return mirrored(mu, mu, dist.ppf, lower, upper)
    if test == "t_test":
        fit = mean_sd(xs)
        if fit is None:
            return None
        mu, sd = fit
        n = len(xs)
        dist = stats.t(df=n - 1, loc=mu, scale=sd * math.sqrt(1.0 + 1.0 / n))
        return mirrored(mu, mu, dist.ppf, lower, upper)
    if test == "log_normal":
        if np.any(a <= 0.0):
            return None
        fit = mean_sd(np.log(a))
        if fit is None:
            return None
        mu_ln, sd_ln = fit
        baseline = math.exp(mu_ln)
        dist = stats.lognorm(s=sd_ln, scale=baseline)
        return mirrored(baseline, baseline, dist.ppf, lower, upper)
    if test == "iqr":
        q1, q2, q3 = (float(q) for q in np.percentile(a, [25, 50, 75], method="linear"))
        return symmetric(q2, lambda b: (q3 - q1) * b, lower, upper)
    if test == "delta_iqr":
        if a.size < 2 or np.any(a[:-1] == 0.0):
            return None
        deltas = np.abs(np.diff(a) / a[:-1])
        dq1, dq3 = (float(q) for q in np.percentile(deltas, [25, 75], method="linear"))
        q2 = float(np.percentile(a, 50, method="linear"))
        return symmetric(q2, lambda b: abs(q2) * (dq3 - dq1) * b, lower, upper)
    raise ValueError(test)


def histories():
    rng = np.random.default_rng(20240601)
    return {
        "empty": [],
        "one": [100.0],
        "two": [98.0, 103.5],
        "constant": [42.0] * 6,
        "small": [101.2, 99.8, 100.4, 102.9, 98.7, 100.1, 99.5],
        "documented_n25": [90.0] * 12 + [110.0] * 12 + [100.0],
        "normal_64": [float(x) for x in rng.normal(1000.0, 35.0, 64)],
        "lognormal_40": [float(x) for x in rng.lognormal(3.0, 0.4, 40)],
        "skewed_15": [float(x) for x in rng.exponential(5.0, 15) + 0.5],
        "tiny_ns": [float(x) for x in rng.normal(3.2e-9, 1e-10, 20)],
        "huge_bytes": [float(x) for x in rng.normal(8.0e12, 4.0e10, 12)],
        "with_zero": [5.0, 0.0, 4.0, 6.0],
        "negative": [-10.0, -12.0, -9.0, -11.5],
        "trend_30": [float(200.0 - 2.0 * i + (i % 3)) for i in range(30)],
    }


BOUNDARIES = {
    "static": [(-5.0, 5.0), (None, 120.0), (80.0, None), (0.0, 0.0)],
    "percentage": [(0.1, 0.1), (None, 0.25), (0.5, None), (0.0, 2.0)],
    "z_score": [(0.977, 0.977), (None, 0.99), (0.5, None), (0.9, 0.999)],
    "t_test": [(0.977, 0.977), (None, 0.99), (0.5, None), (0.9, 0.999)],
    "log_normal": [(0.977, 0.977), (None, 0.99), (0.5, None), (0.9, 0.999)],
    "iqr": [(2.0, 2.0), (None, 1.5), (3.0, None), (0.0, 0.5)],
    "delta_iqr": [(2.0, 2.0), (None, 1.5), (3.0, None), (0.0, 0.5)],
}


def cases():
    out = []
    for test, pairs in BOUNDARIES.items():
        for name, history in histories().items():
            for lower, upper in pairs:
                out.append({
                    "name": f"{test}/{name}/{lower}/{upper}",
                    "test": test,
                    "lower_boundary": lower,
                    "upper_boundary": upper,
                    "history": history,
                })
        if test != "static":
            base = {"test": test, "lower_boundary": BOUNDARIES[test][0][0],
                    "upper_boundary": BOUNDARIES[test][0][1]}
            out.append({**base, "name": f"{test}/min_sample_size_unmet",
                        "min_sample_size": 8, "history": histories()["small"]})
            out.append({**base, "name": f"{test}/max_sample_size_newest",
                        "max_sample_size": 10, "history": histories()["normal_64"]})
    # A long history: Student's t with many degrees of freedom, approaching the normal.
    rng = np.random.default_rng(7)
    long = [float(x) for x in rng.normal(250.0, 12.0, 600)]
    for test in ("z_score", "t_test", "log_normal", "iqr", "delta_iqr"):
        lower, upper = BOUNDARIES[test][3]
        out.append({"name": f"{test}/normal_600", "test": test, "lower_boundary": lower,
                    "upper_boundary": upper, "history": long})
    for case in out:
        case["expected"] = expected(case)
    return out


def main():
    doc = {
        "generator": "shared/stats/tests/reference/generate.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "cases": cases(),
    }
    path = HERE / "cases.json"
    # One case per line keeps diffs readable; repr round-trips every float exactly.
    head = {k: v for k, v in doc.items() if k != "cases"}
    lines = [json.dumps(case) for case in doc["cases"]]
    text = json.dumps(head)[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text)
    print(f"wrote {len(doc['cases'])} cases to {path}")


if __name__ == "__main__":
    main()
