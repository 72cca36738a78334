"""One evaluation of a submission archive, as the organisers run and score it.

This is what `sapsoup validate` does, as a library: unpack and run the archive (`server`), then score
every split with its edition's rules (`sapsoup.editions`), SEM beside the text metrics where the
edition has it. The command line and the team platform (`sapsoup serve`) both call it, so a score means
the same wherever it is shown.

One thing the server would not tell a team, and sapsoup does: which dev utterances the archive's
script could not read (a missing or corrupt WAV). Such an utterance gets an empty line and costs its
whole reference, so the score would describe a different dev set from the one asked for; it is
counted and named in the report, and callers refuse the score unless told to accept it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Callable

import soundfile

from sapsoup import editions
from sapsoup.editions import EditionError
from sapsoup.errors import SapsoupError
from sapsoup.validate import devset, report, server, unpack


class EvaluationError(SapsoupError):
    """The evaluation cannot give a trustworthy score; the message says why."""


@dataclasses.dataclass
class Unreadable:
    """A dev utterance whose audio the archive's script could not use, and why."""

    id: str
    path: str
    reason: str


@dataclasses.dataclass
class Evaluation:
    """An archive run and scored on one or more dev splits."""

    replay: server.Replay
    reports: list[report.SplitReport]
    timings: list[server.StageTiming]
    unreadable: dict[str, list[Unreadable]]  # split -> utterances whose audio could not be used

    @property
    def edition(self) -> editions.Edition:
        return self.replay.layout.edition


def references(edition: editions.Edition, split: devset.DevSplit) -> tuple[list[str], list[str]]:
    try:
        return edition.dev_references(split.dev_dir, split.name, split.ids)
    except EditionError as error:
        raise EvaluationError(str(error)) from None


def score_split(
    edition: editions.Edition,
    split: devset.DevSplit,
    hypotheses: list[str],
    semantic_options: dict | None,
    timings: list[server.StageTiming],
    label: str = "",
) -> report.SplitReport:
    """Score one split's hypotheses with the edition's rules; `semantic_options` None skips SEM."""
    ref1, ref2 = references(edition, split)
    started = time.monotonic()
    try:
        result = edition.score(hypotheses, ref1, ref2)
    except (EditionError, ValueError) as error:
        raise EvaluationError(f"{split.dev_dir / 'manifest'}: split {split.name}: {error}") from None
    rates = ", ".join(f"{name} {value:.2f}" for name, value in result.rates.items())
    timings.append(server.StageTiming(f"{label}scoring {split.name}", time.monotonic() - started, rates))
    headline: dict[str, float | None] = {name: result.rates.get(name) for name in edition.metrics}
    notes = list(result.warnings)
    semantic = None
    if "SEM" in edition.metrics:
        if semantic_options is None:
            notes.append("SEM not computed: --no-sem")
        else:
            from sapsoup.validate.semantic import semantic_score

            started = time.monotonic()
            semantic = semantic_score(hypotheses, ref1, ref2, **semantic_options)
            timings.append(server.StageTiming(f"{label}SEM {split.name}", time.monotonic() - started,
                                              "computed" if semantic.sem is not None else "not computed"))
            headline["SEM"] = semantic.sem
    return report.SplitReport(
        split=split.name, target=edition.name, metric=edition.primary_metric, headline=headline,
        utterances=[report.UtteranceErrors(u.errors, u.length, u.substitutions, u.deletions, u.insertions)
                    for u in result.utterances],
        meta=split.meta, hypotheses=hypotheses,
        hypotheses_clean=[u.hypothesis for u in result.utterances],
        references_clean=[u.reference for u in result.utterances],
        reference_choice=[u.reference_choice for u in result.utterances],
        semantic=semantic, notes=notes,
    )  # fmt: skip


def unreadable_audio(split: devset.DevSplit, stderr_path: Path | None = None) -> list[Unreadable]:
    """Dev utterances whose WAV is missing or unreadable, in manifest order.

    Checked here with soundfile (what the archives read audio with), and also taken from the script's
    own warnings: any stderr line that names one of the split's WAV files and says it cannot read it.
    """
    found: dict[str, Unreadable] = {}
    for index, entry in enumerate(split.entries):
        path = split.wav_path(index)
        if not path.is_file():
            found[entry.id] = Unreadable(entry.id, str(path), "no such file")
            continue
        try:
            info = soundfile.info(str(path))
        except Exception as error:  # soundfile raises LibsndfileError, RuntimeError, ...
            found[entry.id] = Unreadable(entry.id, str(path), f"not readable audio ({str(error).splitlines()[0]})")
            continue
        if info.frames == 0:
            found[entry.id] = Unreadable(entry.id, str(path), "holds no samples")
    if stderr_path is not None and Path(stderr_path).is_file():
        by_name = {split.wav_path(i).name: entry.id for i, entry in enumerate(split.entries)}
        text = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            match = re.search(r"(\S+\.wav): (cannot read audio|no such file|the file holds no samples)(.*)", line)
            if match and Path(match.group(1)).name in by_name:
                uid = by_name[Path(match.group(1)).name]
                found.setdefault(uid, Unreadable(uid, match.group(1), match.group(2) + match.group(3)))
    order = {entry.id: index for index, entry in enumerate(split.entries)}
    return sorted(found.values(), key=lambda item: order[item.id])


def evaluate_archive(
    archive: Path,
    splits: list[devset.DevSplit],
    workdir: Path,
    name: str = "submission",
    timeout: float = server.DEFAULT_TIMEOUT_SECONDS,
    max_unpacked_bytes: int = unpack.DEFAULT_MAX_UNPACKED_BYTES,
    semantic_options: dict | None = None,
    raw_output: bool = False,
    on_split: Callable[[str], None] | None = None,
    on_tick: Callable[[tuple[int, int] | None], None] | None = None,
    on_scoring: Callable[[], None] | None = None,
) -> Evaluation:
    """Run ARCHIVE on every split as the server would, and score it with its edition's rules.

    `on_split` is told each split as its inference starts, `on_tick` the script's own progress
    counter while it runs, and `on_scoring` when every split has run and scoring begins.
    """
    replay = server.replay_archive(
        archive, splits, workdir, name=name, timeout=timeout, max_unpacked_bytes=max_unpacked_bytes,
        raw_output=raw_output, on_split=on_split, on_tick=on_tick,
    )  # fmt: skip
    timings = list(replay.timings)
    edition = replay.layout.edition
    if on_scoring:
        on_scoring()
    reports, unreadable = [], {}
    for split in splits:
        run = replay.runs[split.name]
        reports.append(score_split(edition, split, run.hypotheses, semantic_options, timings,
                                   "" if name == "submission" else f"{name} "))
        unreadable[split.name] = unreadable_audio(split, run.stderr_path)
    return Evaluation(replay, reports, timings, unreadable)


def check_readable(evaluation: Evaluation) -> None:
    """Refuse a score computed over audio the script could not read (see the module docstring)."""
    bad = [(split, item) for split, items in evaluation.unreadable.items() for item in items]
    if bad:
        split, first = bad[0]
        raise EvaluationError(
            f"{len(bad)} dev utterance(s) could not be read by the archive's script, so the score counts empty lines "
            f"for them: first {first.id} in {split} ({first.path}: {first.reason}); fix the dev set, or pass "
            "--allow-unreadable to accept the score as it is"
        )


def is_checkpoint_file(path: Path) -> bool:
    """True for a PyTorch zip file (an openai-whisper `.pt`): a ZIP, but not a submission archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as bundle:
            return any(re.fullmatch(r"[^/]+/data\.pkl", name) for name in bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def baseline_archive(baseline: Path, candidate: server.Replay, workdir: Path) -> tuple[Path, list[str]]:
    """The baseline as an archive: itself when it is a submission ZIP; a checkpoint (any format
    `sapsoup build` reads, a torch `.pt` included, or pretrained:NAME) is packed first, with the
    candidate's edition, decoding and post-processing settings, so that the comparison is about the
    weights."""
    import zipfile

    from sapsoup.builder.archive import DecodingSettings
    from sapsoup.builder.build import build_submission
    from sapsoup.builder.recipe import model_recipe

    if baseline.is_file() and zipfile.is_zipfile(baseline) and not is_checkpoint_file(baseline):
        return baseline, []
    if not (str(baseline).startswith("pretrained:") or baseline.exists()):
        raise EvaluationError(f"{baseline}: no such archive or checkpoint")
    settings = candidate.layout.sapsoup_json
    decoding = settings.get("decoding") or {}
    plan = model_recipe(
        str(baseline), candidate.layout.target,
        decoding=DecodingSettings(
            decoding.get("beam_size") or None,
            DecodingSettings.length_penalty if decoding.get("length_penalty") is None else decoding["length_penalty"],
        ),
        postprocess=settings.get("postprocess") or None,
    )  # fmt: skip
    out = workdir / "baseline-build" / "baseline.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    build_submission(plan, str(out), force=True)
    note = (f"baseline checkpoint {baseline} was packed as a {plan.target} archive with the candidate's decoding "
            f"({plan.decoding.to_dict()}) and post-processing settings")
    if not settings:
        note += "; the candidate has no sapsoup.json, so sapsoup build's defaults were used"
    return out, [note]


def ablation(replay: server.Replay, splits: list[devset.DevSplit]) -> dict[str, list[report.AblationRow]]:
    """The primary metric with each post-processing rule switched off, from the raw transcripts."""
    from sapsoup.postprocess import RULES, PostprocessOptions, postprocess

    stored = replay.layout.sapsoup_json.get("postprocess")
    if not isinstance(stored, dict):
        raise EvaluationError(f"{replay.archive}: sapsoup.json has no 'postprocess' options to ablate")
    try:
        options = PostprocessOptions.from_dict(stored)
    except ValueError as error:
        raise EvaluationError(f"{replay.archive}: sapsoup.json postprocess options: {error}") from None
    edition = replay.layout.edition
    results = {}
    for split in splits:
        run = replay.runs[split.name]
        ref1, ref2 = references(edition, split)
        rebuilt = [" ".join(postprocess(line, options).split()) if line else "" for line in run.raw_hypotheses]
        differing = sum(1 for mine, theirs in zip(rebuilt, run.hypotheses) if mine != theirs)
        if differing:
            replay.notes.append(
                f"{split.name}: {differing} lines of the archive's output differ from sapsoup.postprocess applied to its raw "
                "text; the ablation uses sapsoup.postprocess"
            )
        results[split.name] = report.ablate(
            run.raw_hypotheses, options, RULES, postprocess,
            lambda lines, ref1=ref1, ref2=ref2: edition.score(lines, ref1, ref2).rates[edition.primary_metric],
        )  # fmt: skip
    return results
