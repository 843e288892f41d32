"""The engine's command line keeps its contract: JSON Lines out, exit 2 with file and line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from matchmaker.cli import main
from tests.conftest import ROOT
from tests.test_engine_ranking import CHALLENGES, STARTUPS


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    challenges = [{k: v for k, v in c.items() if k != "field"} | {"extra": "ignored"} for c in CHALLENGES]
    return write_jsonl(tmp_path / "c.jsonl", challenges), write_jsonl(tmp_path / "s.jsonl", STARTUPS)


def run_cli(capsys, *args):
    code = main(["rank", *map(str, args)])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_for_challenges_prints_one_line_per_challenge_with_its_best_startups(encoders, files, capsys):
    c, s = files
    code, lines, _ = run_cli(capsys, "--challenges", c, "--startups", s, "--for", "challenges", "--top-k", 2)

    assert code == 0
    assert [line["challenge_id"] for line in lines] == ["TV", "DRONE", "FRIDGE"]
    tv = lines[0]
    assert set(tv) == {"challenge_id", "ranked"}
    assert len(tv["ranked"]) == 2 and set(tv["ranked"][0]) == {"startup_id", "score"}
    assert {r["startup_id"] for r in tv["ranked"]} == {"ko-upscaler", "en-upscaler"}
    scores = [r["score"] for r in tv["ranked"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores)


def test_for_startups_with_top_k_zero_ranks_every_challenge_and_explains(encoders, files, capsys):
    c, s = files
    code, lines, _ = run_cli(capsys, "--challenges", c, "--startups", s, "--for", "startups", "--top-k", 0, "--explain")

    assert code == 0
    assert [line["startup_id"] for line in lines] == [r["id"] for r in STARTUPS]
    korean = lines[0]
    assert [r["challenge_id"] for r in korean["ranked"]][0] == "TV"
    assert len(korean["ranked"]) == 3
    explanation = korean["ranked"][0]["explanation"]
    assert {"score", "band", "components", "contributions", "best_pair", "shared_terms"} <= set(explanation)


def test_korean_text_comes_out_as_korean_not_escapes(encoders, files, capsys):
    c, s = files
    main(["rank", "--challenges", str(c), "--startups", str(s), "--for", "challenges", "--top-k", "1", "--explain"])
    out = capsys.readouterr().out
    assert "냉장고" in out and "\\u" not in out


def test_a_vetoed_pair_is_left_out(encoders, files, capsys):
    c, s = files
    code, lines, _ = run_cli(capsys, "--challenges", c, "--startups", s, "--for", "challenges", "--top-k", 0,
                             "--veto", "TV:ko-upscaler")
    assert code == 0
    assert "ko-upscaler" not in [r["startup_id"] for r in lines[0]["ranked"]]
    assert len(lines[0]["ranked"]) == len(STARTUPS) - 1


@pytest.mark.parametrize(
    "line, problem",
    [
        ('{"id": "A", "title": "x", "description": "y"}\n{"id": "B", "title": "x"\n', "c.jsonl:2: invalid JSON"),
        ('{"id": "A", "title": "x", "description": "y"}\n{"id": "B", "title": "x"}\n', "c.jsonl:2: missing 'description'"),
        ('["not", "an", "object"]\n', "c.jsonl:1: expected a JSON object"),
        ('{"id": "A", "title": "x", "description": "y"}\n\n{"id": "A", "title": "z", "description": "w"}\n',
         "c.jsonl:3: id 'A' repeats line 1"),
        ('{"id": "A", "title": "x", "description": "y", "language": "fr"}\n', "c.jsonl:1: 'language' must be one of"),
        ('{"id": "A", "title": 5, "description": "y"}\n', "c.jsonl:1: 'title' must be a string"),
    ],
)
def test_bad_jsonl_exits_2_with_file_line_and_problem_and_prints_nothing(tmp_path, line, problem):
    c = tmp_path / "c.jsonl"
    c.write_text(line, encoding="utf-8")
    s = write_jsonl(tmp_path / "s.jsonl", STARTUPS)

    done = subprocess.run(
        [sys.executable, "-m", "matchmaker", "rank", "--challenges", str(c), "--startups", str(s),
         "--for", "challenges", "--top-k", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert problem in done.stderr


def test_a_missing_file_or_bad_option_exits_2(tmp_path, capsys):
    s = write_jsonl(tmp_path / "s.jsonl", STARTUPS)
    assert main(["rank", "--challenges", str(tmp_path / "none.jsonl"), "--startups", str(s),
                 "--for", "challenges", "--top-k", "1"]) == 2
    assert "none.jsonl: cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["rank", "--challenges", str(s), "--startups", str(s), "--for", "both", "--top-k", "1"])
    assert caught.value.code == 2
