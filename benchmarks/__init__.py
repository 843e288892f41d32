"""Benchmarks: ranking quality, engine speed, rounds and the web under load. Run with `python -m benchmarks.<name>`."""
