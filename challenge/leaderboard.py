"""The leaderboards: one per edition, each team's best finished submission, ranked like the challenge.

A board ranks on its edition's primary metric (SAPC1: WER, SAPC2: CER) on the first dev split unless
another column is chosen. Error rates rank lowest first and SEM highest first; a value that was not
computed (SEM without its models) ranks last, never as a zero. A team's best submission is its best
on the ranking column, so the board shows one row per team.
"""

from __future__ import annotations

import dataclasses

from sapsoup import editions
from sapsoup.challenge.store import Submission

HIGHER_IS_BETTER = {"SEM"}


@dataclasses.dataclass(frozen=True)
class Column:
    split: str
    metric: str

    @property
    def key(self) -> str:
        return f"{self.split}:{self.metric}"


@dataclasses.dataclass
class Board:
    edition: editions.Edition
    columns: list[Column]
    sort: Column
    rows: list[Submission]  # best per team, ranked


def columns(edition: editions.Edition, splits: list[str]) -> list[Column]:
    return [Column(split, metric) for split in splits for metric in edition.metrics]


def value(submission: Submission, column: Column) -> float | None:
    return submission.headline().get(column.split, {}).get(column.metric)


def rank_key(submission: Submission, column: Column) -> tuple:
    """Better first, then earlier first; a missing value last."""
    score = value(submission, column)
    if score is None:
        return (1, 0.0, submission.id)
    return (0, -score if column.metric in HIGHER_IS_BETTER else score, submission.id)


def parse_sort(text: str | None, available: list[Column]) -> Column:
    for column in available:
        if text == column.key:
            return column
    return available[0]


def board(edition: editions.Edition, submissions: list[Submission], splits: list[str], sort: str | None = None) -> Board:
    available = columns(edition, splits)
    chosen = parse_sort(sort, available)
    best: dict[str, Submission] = {}
    for submission in submissions:
        if submission.edition != edition.name or submission.status != "finished":
            continue
        held = best.get(submission.team)
        if held is None or rank_key(submission, chosen) < rank_key(held, chosen):
            best[submission.team] = submission
    rows = sorted(best.values(), key=lambda s: rank_key(s, chosen))
    return Board(edition, available, chosen, rows)


def boards(submissions: list[Submission], splits: list[str], sort: dict[str, str] | None = None) -> list[Board]:
    sort = sort or {}
    return [board(edition, submissions, splits, sort.get(edition.name)) for edition in editions.all_editions()]
