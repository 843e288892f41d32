"""Promises the repository makes about itself: CI runs the README's test command, requirements stay pinned."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_opens_with_the_demo_command_and_the_test_command():
    demo, tests = _readme_commands()[:2]
    assert "flask --app web db upgrade" in demo and "flask --app web seed" in demo and "5000" in demo
    assert "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci


def test_torch_is_pinned_to_the_cpu_build_on_disk():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^torch==2\.13\.0$", requirements, re.M)
    assert re.search(r"^APScheduler>=3\.11,<4$", requirements, re.M)
