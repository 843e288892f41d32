"""Template filters shared by every blueprint."""

from __future__ import annotations

from flask import Flask


def fit_percent(score: float) -> int:
    """Shows a calibrated score as a whole percentage, at most 99: an estimate is never a certainty."""
    return min(max(round(float(score) * 100), 0), 99)


def init_app(app: Flask) -> None:
    app.add_template_filter(fit_percent)
