"""The matching engine: documents in; calibrated scores, explanations and assignments out.

The core (documents, text, encoders, cache, scoring, eligibility, explain, assignment,
selection) is pure: no database and no Flask. `matchmaker.rounds` and
`matchmaker.scheduler` are the service edge that reads and writes through `models`.
Nothing heavy happens at import time: models load on first use.
"""
