"""The round commands say what they did, and exit non-zero with one line on stderr when they cannot."""

from __future__ import annotations

from sqlmodel import select

from models import crud
from models.enums import RoundStatus
from models.schema import MatchRun, Round


def test_run_round_runs_a_round_and_reports_its_proposals(runner, seeded, encoders):
    round_id = seeded.exec(select(Round.id)).one()
    seeded.commit()  # end this reader's snapshot: the command writes through its own connection

    result = runner.invoke(args=["run-round", str(round_id)])

    assert result.exit_code == 0, result.output
    assert f"round {round_id}: run" in result.stdout and "proposed" in result.stdout
    assert seeded.exec(select(MatchRun)).one().status.value == "succeeded"


def test_run_round_with_a_bad_id_or_a_draft_round_exits_1_with_the_reason(runner, seeded):
    result = runner.invoke(args=["run-round", "999"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: round 999 does not exist"

    round_ = seeded.exec(select(Round)).one()
    crud.set_round_status(session=seeded, round_=round_, status=RoundStatus.draft, actor_id=None)
    seeded.commit()
    result = runner.invoke(args=["run-round", str(round_.id)])
    assert result.exit_code == 1
    assert "is draft; only a scheduled or matched round can run" in result.stderr


def test_run_round_without_a_round_is_a_usage_error_and_scheduled_with_none_due_succeeds(runner, seeded):
    assert runner.invoke(args=["run-round"]).exit_code == 2

    round_ = seeded.exec(select(Round)).one()
    crud.set_round_status(session=seeded, round_=round_, status=RoundStatus.draft, actor_id=None)
    seeded.commit()
    result = runner.invoke(args=["run-round", "--scheduled"])
    assert result.exit_code == 0
    assert "no round is scheduled" in result.stderr


def test_select_refuses_a_round_that_is_not_closed(runner, seeded):
    round_id = seeded.exec(select(Round.id)).one()
    result = runner.invoke(args=["select", str(round_id)])
    assert result.exit_code == 1
    assert "close it before the final selection" in result.stderr
    assert runner.invoke(args=["select", "999"]).stderr.strip() == "error: round 999 does not exist"
