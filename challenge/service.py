"""The platform's operations, shared by the web form and the HTTP API: accept an upload, compare two
submissions. The web layer (`app`) only translates requests and answers."""

from __future__ import annotations

import dataclasses
import threading
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError

from sapsoup import editions
from sapsoup.challenge import intake
from sapsoup.challenge.queue import SubmissionQueue
from sapsoup.challenge.settings import ChallengeError, Settings
from sapsoup.challenge.store import Store, Submission
from sapsoup.validate import report

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


class QuotaError(ChallengeError):
    """A team has used its submissions for the day."""


@dataclasses.dataclass
class Accepted:
    submission: Submission
    duplicate: bool  # the same bytes were uploaded before: `submission` is that earlier one
    queue_position: int | None


class Platform:
    """The settings, the store and the queue of one running platform."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.database_url)
        self.queue = SubmissionQueue(settings, self.store)
        self._admission = threading.Lock()  # the quota check and the insert, together

    def start(self) -> list[int]:
        """Queue again what a previous run of the server left owed, then start the workers."""
        owed = self.queue.recover()
        self.queue.start()
        return owed

    def stop(self) -> None:
        self.queue.stop()
        self.store.close()

    def accept(self, team: str | None, source: BinaryIO, filename: str | None) -> Accepted:
        """Check and store an upload and queue it; the same bytes again give the earlier submission."""
        team = intake.check_team(team)
        filename = intake.clean_filename(filename)
        upload = intake.receive(source, filename, self.settings.data_dir, self.settings.max_unpacked_bytes)
        try:
            with self._admission:
                earlier = self.store.by_sha256(upload.sha256)
                if earlier is not None:
                    return Accepted(earlier, True, self.store.queue_position(earlier.id))
                used = self.store.counted_today(team)
                if used >= self.settings.daily_quota:
                    raise QuotaError(f"team {team!r} has used its {self.settings.daily_quota} submissions for today "
                                     "(UTC); failed runs do not count")
                path = intake.keep(upload, self.settings.data_dir)
                try:
                    row = self.store.add(self._new(team, upload, path))
                except IntegrityError:  # the same bytes from another server on a shared database
                    earlier = self.store.by_sha256(upload.sha256)
                    return Accepted(earlier, True, self.store.queue_position(earlier.id))
        finally:
            intake.discard(upload)
        self.queue.enqueue(row.id)
        return Accepted(row, False, self.store.queue_position(row.id))

    @staticmethod
    def _new(team: str, upload: intake.CheckedUpload, path) -> "NewSubmission":
        from sapsoup.challenge.store import NewSubmission

        return NewSubmission(team, upload.filename, upload.sha256, upload.size, upload.edition, str(path))


@dataclasses.dataclass
class SplitComparison:
    split: str
    metric: str
    first: dict[str, float | None]
    second: dict[str, float | None]
    interval: report.BootstrapInterval
    buckets: list[tuple[dict, dict]]


def utterance_errors(data: dict) -> list[report.UtteranceErrors]:
    return [report.UtteranceErrors(row["errors"], row["words"], row["substitutions"], row["deletions"],
                                   row["insertions"]) for row in data["utterances"]]


def compare(first: Submission, second: Submission) -> list[SplitComparison]:
    """Per split, FIRST minus SECOND on the primary metric with its paired bootstrap 95% interval."""
    if first.edition != second.edition:
        raise ChallengeError(f"submissions {first.id} ({first.edition}) and {second.id} ({second.edition}) are of "
                             "different editions; only the same edition's scores compare")
    for item in (first, second):
        if item.status != "finished":
            raise ChallengeError(f"submission {item.id} is {item.status}; only finished submissions compare")
    theirs = {score.split: score for score in second.scores}
    results = []
    for mine in first.scores:
        other = theirs.get(mine.split)
        if other is None:
            continue
        if [u["id"] for u in mine.report["utterances"]] != [u["id"] for u in other.report["utterances"]]:
            raise ChallengeError(f"split {mine.split}: submissions {first.id} and {second.id} were scored on "
                                 "different utterances (the dev set changed between them)")
        interval = report.paired_bootstrap(utterance_errors(mine.report), utterance_errors(other.report),
                                           BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
        other_buckets = {(b["group"], b["name"]): b for b in other.report["buckets"]}
        pairs = [(b, other_buckets.get((b["group"], b["name"]), {})) for b in mine.report["buckets"]]
        results.append(SplitComparison(mine.split, editions.get(first.edition).primary_metric, dict(mine.headline),
                                       dict(other.headline), interval, pairs))
    if not results:
        raise ChallengeError(f"submissions {first.id} and {second.id} share no scored split")
    return results
