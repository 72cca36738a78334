"""One queued submission, run and scored exactly as `sapsoup validate` runs and scores it.

The work is `validate.evaluation.evaluate_archive`, the library behind `sapsoup validate`: the same
safe unpacking, layout check, isolation, time limit, output check and scoring, so a score on the
leaderboard is the score `validate` prints for the same archive and dev set. This module only claims
the submission, reports progress to the store, and records the outcome with its logs.

A server that is stopping asks the running script to stop through `stopping`: the progress callback
raises, and the replay kills the script's process group on the way out. The submission stays
"running" in the store, so the next start queues it again.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
import traceback
from pathlib import Path

from sapsoup.challenge.settings import Settings, load_splits
from sapsoup.challenge.store import Store
from sapsoup.errors import SapsoupError
from sapsoup.validate import evaluation, report, server

LOG_TAIL_LINES = 40
PROGRESS_EVERY_SECONDS = 1.0


class Stopped(BaseException):
    """Raised inside a run when the server stops; not an error of the submission."""


def log_tails(workdir: Path) -> dict[str, str]:
    """The tail of every stdout and stderr the script wrote, by file name."""
    logs = Path(workdir) / "logs"
    if not logs.is_dir():
        return {}
    return {path.name: server.tail(path, LOG_TAIL_LINES) for path in sorted(logs.glob("*.std*"))}


def timing_rows(timings: list[server.StageTiming]) -> list[dict]:
    return [dataclasses.asdict(timing) for timing in timings]


def failed_timing(state: dict) -> list[dict]:
    """A failed run has no stage table from the library; its length and where it stopped stand in."""
    return [{"stage": "until the failure", "seconds": time.monotonic() - state["started"],
             "note": f"failed during {state['stage']}"}]


def run_submission(store: Store, settings: Settings, submission_id: int, stopping: threading.Event | None = None) -> str:
    """Run one submission if it is still waiting; returns its final status (or "skipped")."""
    if not store.claim(submission_id):
        return "skipped"
    row = store.get(submission_id)
    stopping = stopping or threading.Event()
    workdir = settings.runs_dir / f"{submission_id}-{row.attempts}"
    shutil.rmtree(workdir, ignore_errors=True)
    state = {"split": "", "last": 0.0, "started": time.monotonic(), "stage": "unpacking"}
    splits = load_splits(settings)

    def on_split(name: str) -> None:
        state["split"], state["stage"] = name, f"inference on {name}"
        store.set_stage(submission_id, f"inference on {name}")

    def on_tick(reported: tuple[int, int] | None) -> None:
        if stopping.is_set():
            raise Stopped()
        now = time.monotonic()
        if now - state["last"] < PROGRESS_EVERY_SECONDS:
            return
        state["last"] = now
        store.set_stage(submission_id, f"inference on {state['split']}", reported)

    try:
        result = evaluation.evaluate_archive(
            Path(row.archive_path), splits, workdir, timeout=settings.timeout,
            max_unpacked_bytes=settings.max_unpacked_bytes, semantic_options=settings.semantic_options,
            on_split=on_split, on_tick=on_tick,
            on_scoring=lambda: store.set_stage(submission_id, "scoring", status="scoring"),
        )  # fmt: skip
        evaluation.check_readable(result)
        scores = []
        for item in result.reports:
            data = report.split_json(item, worst=10)
            scores.append((item.split, data["headline"], data))
        settings.plots_dir.mkdir(parents=True, exist_ok=True)
        report.write_plot(settings.plots_dir / f"{submission_id}.png", result.reports)
        notes = list(result.replay.notes)
        if result.edition.metrics and "SEM" in result.edition.metrics and settings.semantic_options is None:
            notes.append("SEM not computed: the platform was started without --bert-model/--nli-model")
        unreadable = {split: [dataclasses.asdict(item) for item in items] for split, items in result.unreadable.items()}
        store.finish(submission_id, scores, timing_rows(result.timings), notes, unreadable, log_tails(workdir))
        return "finished"
    except Stopped:
        return "interrupted"
    except server.ReplayError as error:
        store.fail(submission_id, str(error), error.details, failed_timing(state), log_tails(workdir))
        return "failed"
    except SapsoupError as error:
        store.fail(submission_id, str(error), "", failed_timing(state), log_tails(workdir))
        return "failed"
    except Exception as error:  # a bug of the platform: record it on the submission rather than lose the worker
        store.fail(submission_id, f"internal error: {type(error).__name__}: {error}", traceback.format_exc(),
                   failed_timing(state), log_tails(workdir))
        return "failed"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
