"""Fits the score calibration on fixtures/calibration and writes matchmaker/calibration.json.

The quality set (fixtures/quality) is never used here: it stays held out for
benchmarks/quality.py. Run: python -m benchmarks.calibrate
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.labelled import ROOT, load
from matchmaker.scoring import FEATURES, Calibration, EngineConfig, Scorer, build_index

# Fixed regularisation; the set is small, so weights stay moderate.
C = 10.0


def pair_features(config: EngineConfig, labelled) -> tuple[dict[str, np.ndarray], int, int]:
    """Computes every feature for every pair of a labelled set: arrays (n_challenges * n_startups,)."""
    challenges = build_index(labelled.challenges, config)
    startups = build_index(labelled.startups, config)
    scorer = Scorer(config).fit(challenges, startups)
    n_c, n_s = len(labelled.challenges), len(labelled.startups)
    ci, si = np.divmod(np.arange(n_c * n_s), n_s)
    return scorer.features_for(ci, si), n_c, n_s


def fit(features: dict[str, np.ndarray], grades: dict, n_c: int, n_s: int) -> Calibration:
    """Fits a logistic model: positive = grade >= 2, negative = grade 0 or unlabelled; grade 1 left out."""
    y = np.zeros(n_c * n_s)
    for (c, s), g in grades.items():
        y[c * n_s + s] = g
    x = np.stack([features[name] for name in FEATURES], axis=1)
    weight = np.where(y == 1, 0.0, 1.0)
    model = LogisticRegression(C=C, max_iter=5000).fit(x, (y >= 2).astype(int), sample_weight=weight)
    return Calibration(
        intercept=round(float(model.intercept_[0]), 4),
        weights={name: round(float(w), 4) for name, w in zip(FEATURES, model.coef_[0])},
        fitted_on="fixtures/calibration",
    )


def choose_bands(scores: np.ndarray, labelled) -> dict[str, float]:
    """Picks the 'possible' threshold halfway (in log-odds) between the 10th percentile of
    fitting startups' top scores and the 90th percentile of non-fitting startups' top scores."""
    top = scores.max(axis=0)
    fits = np.array([labelled.fits(j) for j in range(len(labelled.startups))])
    low_fit = float(np.percentile(top[fits], 10))
    high_nofit = float(np.percentile(top[~fits], 90))
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    possible = 1 / (1 + math.exp(-(logit(low_fit) + logit(high_nofit)) / 2))
    return {"strong": 0.5, "possible": round(possible, 3), "fit_top_p10": round(low_fit, 3),
            "nofit_top_p90": round(high_nofit, 3)}


def main() -> int:
    labelled = load("calibration")
    base = EngineConfig()
    features, n_c, n_s = pair_features(base, labelled)
    calibration = fit(features, labelled.grades, n_c, n_s)
    logits = calibration.logit(features)
    scores = (1 / (1 + np.exp(-logits))).reshape(n_c, n_s)
    bands = choose_bands(scores, labelled)
    out = {**calibration.as_dict(), "bands": {"strong": bands["strong"], "possible": bands["possible"]}}
    path = ROOT / "matchmaker" / "calibration.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({**out, "separation": bands}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
