"""`sapsoup dev prepare` and `sapsoup validate`: a local dev set, and the organisers' run replayed on it."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sapsoup.validate import devset, evaluation, report, server, unpack


def _stderr() -> Console:
    return Console(stderr=True)


# ---------------------------------------------------------------------------------------------
# sapsoup dev prepare


@click.group("dev")
def dev():
    """Build a local dev set in the organisers' layout."""


@dev.command("prepare")
@click.argument("sap_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dev_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="DEV folder to write manifest/ and data/ into (other splits there are kept).")
@click.option("--split", default="dev", show_default=True,
              help="Split name: selects speakers from SAP_DIR/splits.json (all speakers without it) and names the output.")
@click.option("--subset", "fraction", type=click.FloatRange(0.0, 1.0, min_open=True),
              help="Keep this random fraction of utterances up to 30 s, plus every longer one (the paper's dev subset).")
@click.option("--seed", type=int, default=None, help="Seed of the --subset draw [default: 0].")
def prepare(sap_dir: Path, dev_dir: Path, split: str, fraction: float | None, seed: int | None):
    """Turn SAP-layout data (speaker JSON + WAVs) into both editions' dev layout.

    Writes DEV/manifest/SPLIT.{tsv,ref1,ref2,meta.tsv} (SAPC1), DEV/manifest/SPLIT.csv (SAPC2) and
    DEV/data/SPLIT/*.wav (16 kHz mono, converted as the organisers convert). Unreadable WAVs and
    transcripts are named and left out; the rest is prepared."""
    if seed is not None and fraction is None:
        raise click.ClickException("--seed only applies to --subset; give --subset FRACTION too")
    errors = _stderr()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=errors, transient=True) as progress:
        task = progress.add_task(f"preparing {split}", total=None)
        summary = devset.prepare_dev(
            sap_dir, dev_dir, split=split, subset_fraction=fraction, seed=seed or 0,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            warn=lambda message: errors.print(
                f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True
            ),
        )
    seconds = sum(row.duration for row in summary.prepared)
    click.echo(
        f"{summary.split}: {len(summary.prepared)} utterances ({seconds / 60:.1f} min) written to {summary.dev_dir}; "
        f"{summary.resampled} converted to 16 kHz mono, {summary.cut} cut to their #ts spans; "
        f"manifest/{summary.split}.tsv with .ref1/.ref2 (SAPC1) and manifest/{summary.split}.csv (SAPC2)"
    )
    if summary.subset_fraction is not None:
        click.echo(
            f"subset: {summary.subset_fraction:g} of the utterances up to 30 s (seed {seed or 0}) plus all "
            f"{summary.subset_long} longer ones, from {summary.available} in the split"
        )
    if summary.left_out:
        reasons: dict[str, int] = {}
        for item in summary.left_out:
            key = item.reason.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
        click.echo(f"left out: {len(summary.left_out)} ({'; '.join(f'{n} {r}' for r, n in reasons.items())})")
    if summary.replaced_existing:
        click.echo(f"replaced the previous {summary.split} split in {summary.dev_dir}")


# ---------------------------------------------------------------------------------------------
# sapsoup validate


def _evaluate(archive: Path, splits: list[devset.DevSplit], workdir: Path, name: str, **options) -> evaluation.Evaluation:
    """`evaluation.evaluate_archive` with a progress display fed by the script's own counter."""
    console = _stderr()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"{name}: unpacking {archive.name}", total=None)

        def on_tick(reported):
            if reported is not None:  # the script's own counter, read from its log
                progress.update(task, completed=reported[0], total=reported[1])

        return evaluation.evaluate_archive(
            archive, splits, workdir, name=name,
            on_split=lambda split: progress.update(task, description=f"{name}: inference on {split}", completed=0, total=None),
            on_tick=on_tick, **options,
        )  # fmt: skip


@click.command("validate")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--dev", "dev_dir", required=True, type=click.Path(path_type=Path),
              help="Folder written by `sapsoup dev prepare`.")
@click.option("--split", "split_names", multiple=True, help="Split to run (repeatable) [default: every split in DEV].")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=server.DEFAULT_TIMEOUT_SECONDS,
              show_default=True, help="Seconds for the whole inference run (all splits); the script is killed after.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the unpacked archive, logs and .hypo files here (outside the repository).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the results as JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG of the buckets.")
@click.option("--baseline", type=click.Path(path_type=Path),
              help="Another archive, or a checkpoint (packed with the candidate's settings), to run and compare against.")
@click.option("--bert-model", type=click.Path(path_type=Path), help="Local BERTScore model (roberta-large) for SEM.")
@click.option("--nli-model", type=click.Path(path_type=Path), help="Local NLI model for SEM.")
@click.option("--bert-baseline", type=click.Path(path_type=Path),
              help="bert_score rescale baseline file for a --bert-model that is not roberta-large.")
@click.option("--no-sem", is_flag=True, help="Do not compute SEM (reported as not computed).")
@click.option("--ablate-postprocess", is_flag=True, help="Also score with each post-processing rule switched off.")
@click.option("--allow-unreadable", is_flag=True,
              help="Accept a score although the archive's script could not read some dev audio (counted as empty lines).")
@click.option("--max-unpacked-gb", type=click.FloatRange(min=0, min_open=True),
              default=unpack.DEFAULT_MAX_UNPACKED_BYTES / 1024**3, show_default=True,
              help="Refuse archives that unpack to more than this.")
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True, help="Worst utterances to list.")
@click.option("--resamples", type=click.IntRange(min=1000), default=1000, show_default=True,
              help="Paired bootstrap resamples for --baseline.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
def validate(archive, dev_dir, split_names, timeout, workdir, json_path, plot_path, baseline, bert_model, nli_model,
             bert_baseline, no_sem, ablate_postprocess, allow_unreadable, max_unpacked_gb, worst, resamples, seed):
    """Replay the organisers' evaluation of ARCHIVE on a local dev set and report where the errors are."""
    console = Console()
    errors = _stderr()
    keep_workdir = workdir is not None
    max_bytes = int(max_unpacked_gb * 1024**3)
    semantic_options = None if no_sem else {
        "bert_model": None if bert_model is None else str(bert_model),
        "nli_model": None if nli_model is None else str(nli_model),
        "bert_baseline": None if bert_baseline is None else str(bert_baseline),
    }
    try:
        splits = [devset.load_dev_split(dev_dir, name) for name in (split_names or devset.list_splits(dev_dir))]
        if workdir is None:
            workdir = server.temporary_workdir()
        try:
            options = dict(timeout=timeout, max_unpacked_bytes=max_bytes, semantic_options=semantic_options)
            candidate = _evaluate(archive, splits, workdir, "submission", raw_output=ablate_postprocess, **options)
            replay, reports, timings = candidate.replay, candidate.reports, candidate.timings
            base_replay, base_reports, comparisons = None, {}, {}
            if baseline is not None:
                baseline_zip, baseline_notes = evaluation.baseline_archive(baseline, replay, workdir)
                replay.notes.extend(baseline_notes)
                base = _evaluate(baseline_zip, splits, workdir, "baseline", **options)
                base_replay = base.replay
                if base_replay.layout.target != replay.layout.target:
                    raise click.ClickException(
                        f"{baseline}: a {base_replay.layout.target} archive cannot be compared "
                        f"with a {replay.layout.target} one"
                    )
                timings += [server.StageTiming(f"baseline {t.stage}", t.seconds, t.note) for t in base.timings]
                base_reports = {item.split: item for item in base.reports}
                for mine in reports:
                    theirs = base_reports[mine.split]
                    comparisons[mine.split] = (report.compare_buckets(mine, theirs),
                                               report.paired_bootstrap(mine.utterances, theirs.utterances, resamples, seed))
            ablations = evaluation.ablation(replay, splits) if ablate_postprocess else {}
        finally:
            if not keep_workdir:
                server.remove_workdir(workdir)
    except server.ReplayError as error:
        if error.details:
            errors.print("[bold]stderr tail of the script:[/bold]", highlight=False)
            errors.print(error.details, markup=False, highlight=False)
        raise click.ClickException(str(error)) from None

    for item in reports:
        report.render_split(console, item, worst)
        if item.split in comparisons:
            pairs, interval = comparisons[item.split]
            report.render_comparison(console, item.split, pairs, interval, item.metric)
        if item.split in ablations:
            report.render_ablation(console, item.split, ablations[item.split], item.metric)
    report.render_timings(console, timings)
    for note in replay.notes:
        console.print(f"note: {escape(note)}", highlight=False)
    if keep_workdir:
        console.print(f"unpacked archive and .hypo files kept in {workdir}", highlight=False)

    unreadable = [(split, item) for split, items in candidate.unreadable.items() for item in items]
    for split, item in unreadable:
        console.print(f"[yellow]unreadable:[/yellow] {escape(split)} {escape(item.id)}: "
                      f"{escape(item.path)}: {escape(item.reason)}", highlight=False)

    if json_path is not None:
        data = report.organisers_result(reports)
        data["sapsoup"] = {
            "archive": str(archive),
            "target": replay.layout.target,
            "unreadable": {split: [dataclasses.asdict(item) for item in items]
                           for split, items in candidate.unreadable.items()},
            "dev": str(dev_dir),
            "notes": replay.notes,
            "commands": {name: shlex.join(run.command) for name, run in replay.runs.items()},
            "timings": timings,
            "splits": {item.split: report.split_json(item, worst) for item in reports},
            "baseline": None if base_replay is None else {
                "archive": str(baseline),
                "result": report.organisers_result(base_reports.values()),
                "splits": {name: report.split_json(item, worst) for name, item in base_reports.items()},
            },
            "comparison": {
                name: {"interval": interval,
                       "buckets": [{"group": a.group, "name": a.name, "candidate": a.rate, "baseline": b.rate,
                                    "delta": None if a.rate is None or b.rate is None else a.rate - b.rate}
                                   for a, b in pairs]}
                for name, (pairs, interval) in comparisons.items()
            },
            "ablation": ablations,
        }
        report.write_json(json_path, data)
        console.print(f"results written to {json_path}", highlight=False)
    if plot_path is not None:
        report.write_plot(plot_path, reports, base_reports)
        console.print(f"plot written to {plot_path}", highlight=False)
    if unreadable and not allow_unreadable:
        evaluation.check_readable(candidate)  # one line naming the first, exit status 1
