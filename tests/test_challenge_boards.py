"""The platform's store, leaderboards and comparison, on a SQLite database of hand-made results."""

from __future__ import annotations

import datetime

import pytest

from sapsoup import editions
from sapsoup.challenge import leaderboard, service
from sapsoup.challenge.settings import ChallengeError
from sapsoup.challenge.store import NewSubmission, Store


def utterances(errors: list[float], words: float = 10.0) -> list[dict]:
    return [{"id": f"u{i}", "errors": e, "words": words, "substitutions": int(e), "deletions": 0, "insertions": 0}
            for i, e in enumerate(errors)]


def scored(store: Store, team: str, edition: str, headline: dict, errors: list[float]) -> int:
    row = store.add(NewSubmission(team, f"{team}.zip", f"{team}-{edition}-{headline}".ljust(64, "0")[:64], 10,
                                  edition, "/dev/null"))
    assert store.claim(row.id)
    buckets = [{"group": "overall", "name": "all", "rate": 100.0 * sum(errors) / (10.0 * len(errors))}]
    store.finish(row.id, [("dev", headline, {"utterances": utterances(errors), "buckets": buckets})], [], [], {}, {})
    return row.id


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'platform.db'}")
    yield store
    store.close()


def test_each_edition_has_its_board_with_each_teams_best_primary_metric_first(store):
    scored(store, "alpha", "sapc1", {"WER": 30.0, "SEM": 70.0}, [3, 3])
    best = scored(store, "alpha", "sapc1", {"WER": 20.0, "SEM": 60.0}, [2, 2])
    scored(store, "beta", "sapc1", {"WER": 25.0, "SEM": 90.0}, [2, 3])
    scored(store, "beta", "sapc2", {"CER": 10.0, "WER": 20.0}, [1, 1])

    boards = {b.edition.name: b for b in leaderboard.boards(store.all(), ["dev"])}

    sapc1 = boards["sapc1"]
    assert [c.key for c in sapc1.columns] == ["dev:WER", "dev:SEM"]
    assert [(row.team, row.id) for row in sapc1.rows] == [("alpha", best), ("beta", 3)]
    assert [c.key for c in boards["sapc2"].columns] == ["dev:CER", "dev:WER"]
    assert [row.team for row in boards["sapc2"].rows] == ["beta"]


def test_sorting_on_sem_ranks_highest_first_and_picks_each_teams_best_sem(store):
    scored(store, "alpha", "sapc1", {"WER": 30.0, "SEM": 70.0}, [3, 3])
    scored(store, "alpha", "sapc1", {"WER": 20.0, "SEM": 60.0}, [2, 2])
    scored(store, "beta", "sapc1", {"WER": 25.0, "SEM": 90.0}, [2, 3])
    scored(store, "gamma", "sapc1", {"WER": 10.0, "SEM": None}, [1, 1])

    board = leaderboard.board(editions.get("sapc1"), store.all(), ["dev"], sort="dev:SEM")

    assert [(row.team, leaderboard.value(row, board.sort)) for row in board.rows] == [
        ("beta", 90.0), ("alpha", 70.0), ("gamma", None)]  # not computed ranks last, never as zero


def test_unfinished_and_failed_submissions_are_not_on_the_board_and_failed_ones_leave_the_quota(store):
    done = scored(store, "alpha", "sapc1", {"WER": 30.0, "SEM": None}, [3, 3])
    waiting = store.add(NewSubmission("alpha", "b.zip", "b" * 64, 1, "sapc1", "/dev/null"))
    failing = store.add(NewSubmission("alpha", "c.zip", "c" * 64, 1, "sapc1", "/dev/null"))
    store.claim(failing.id)
    store.fail(failing.id, "inference.py: split dev exited with status 1", "", [], {})

    assert [row.id for row in leaderboard.board(editions.get("sapc1"), store.all(), ["dev"]).rows] == [done]
    assert store.counted_today("alpha") == 2
    tomorrow = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(days=1)
    assert store.counted_today("alpha", now=tomorrow) == 0
    assert store.queue_position(waiting.id) == 1 and store.queue_position(done) is None


def test_a_run_is_claimed_once_and_an_interrupted_one_is_owed_again(store):
    row = store.add(NewSubmission("alpha", "a.zip", "a" * 64, 1, "sapc1", "/dev/null"))

    assert store.claim(row.id) is True
    assert store.claim(row.id) is False  # a second worker finds it taken
    assert store.requeue_interrupted() == [row.id]
    assert store.get(row.id).status == "submitted" and store.pending_ids() == [row.id]
    assert store.claim(row.id) is True and store.get(row.id).attempts == 2


def test_comparison_gives_the_paired_bootstrap_interval_of_the_primary_metric(store):
    first = scored(store, "alpha", "sapc1", {"WER": 20.0, "SEM": None}, [2, 2, 2, 2])
    second = scored(store, "beta", "sapc1", {"WER": 40.0, "SEM": None}, [4, 4, 4, 4])

    [split] = service.compare(store.get(first), store.get(second))

    assert split.metric == "WER"
    assert (split.interval.difference, split.interval.low, split.interval.high) == pytest.approx((-20.0, -20.0, -20.0))
    assert split.buckets[0][0]["rate"] == 20.0 and split.buckets[0][1]["rate"] == 40.0


def test_comparison_refuses_different_editions(store):
    first = scored(store, "alpha", "sapc1", {"WER": 20.0, "SEM": None}, [2])
    second = scored(store, "beta", "sapc2", {"CER": 10.0, "WER": 20.0}, [1])

    with pytest.raises(ChallengeError, match=r"submissions 1 \(sapc1\) and 2 \(sapc2\) are of different editions"):
        service.compare(store.get(first), store.get(second))
