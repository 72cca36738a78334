"""`sapsoup select`: SMAcT, greedy or uniform soups, each merge scored on a prepared dev split."""

import json
import os

import click
from rich.console import Console
from rich.table import Table

from sapsoup.builder.errors import CheckpointError
from sapsoup.cli.checkpoints import cleanup_on_sigterm
from sapsoup.editions import DEFAULT as DEFAULT_TARGET
from sapsoup.editions import NAMES as TARGETS
from sapsoup.submission.decoding import LENGTH_PENALTY

console = Console(stderr=True)


class _Bars:
    """One rich progress bar for the steps and one for the utterances of the current evaluation."""

    def __init__(self, enabled: bool = True):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True, disable=not enabled)
        self.task = None

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def step(self, label: str) -> None:
        if not self.progress.disable:
            console.print(f"[dim]{label}[/dim]")

    def evaluation(self, label: str, total: int):
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(f"decoding ({label})", total=total)
        return lambda n: self.progress.advance(self.task, n)


def _postprocess_options(path):
    """PostprocessOptions as a dict from a JSON file (e.g. an archive's sapsoup.json section), or None."""
    if path is None:
        return None
    from sapsoup.postprocess import PostprocessOptions

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return PostprocessOptions.from_dict(data.get("postprocess", data)).to_dict()
    except (OSError, ValueError, AttributeError) as error:
        raise click.ClickException(f"{path}: cannot read post-processing options ({error})") from None


def _relaunch_args(ctx: click.Context) -> list:
    """This command's own arguments, rebuilt from what click parsed, less --workers."""
    args = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name == "workers" or value is None:
            continue
        if isinstance(param, click.Argument):
            args.extend(value)
            continue
        name = max(param.opts, key=len)  # the long form: --output, not -o
        if param.is_flag:
            args.extend([name] if value else [])
        elif value != param.default:
            args.extend([name, str(value)])
    return args


def _run_workers(ctx: click.Context, workers: int) -> None:
    """`--workers N`: this very command under torchrun with N processes on this machine, each with
    an equal share of the CPU threads (or its own GPU). The one code path of `torchrun ... select`."""
    import subprocess
    import sys

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={workers}",
               "-m", "sapsoup.cli", "select", *_relaunch_args(ctx)]
    code = subprocess.run(command, env=env).returncode
    ctx.exit(code)


@click.command()
@click.argument("candidates", nargs=-1, required=True)
@click.option("--dev", "dev_dir", required=True, help="a folder written by `sapsoup dev prepare`")
@click.option("-o", "--output", "out", required=True, help="where the selected merge goes (.pt: openai; else HF folder)")
@click.option("--target", type=click.Choice(TARGETS),
              help="the challenge edition whose primary metric is optimised (sapc1: WER; sapc2: CER) [default: sapc1]")
@click.option("--strategy", type=click.Choice(["smact", "greedy", "uniform"]), default="smact", show_default=True)
@click.option("--split", default="dev", show_default=True, help="the dev split to score on")
@click.option("--beam-size", type=click.IntRange(min=1), help="beam search width (default: greedy, as the archive)")
@click.option("--length-penalty", type=click.FloatRange(0.0, 1.0), default=LENGTH_PENALTY, show_default=True)
@click.option("--postprocess-options", "postprocess_path", help="JSON file of post-processing options (default: the defaults)")
@click.option("--trace", "trace_path", help="selection trace JSON (default: beside OUT); an unfinished one is resumed")
@click.option("--plot", "plot_path", help="draw the dev rate against the number of merged models to this PNG")
@click.option("--to", type=click.Choice(["openai", "hf"]))
@click.option("--dtype", type=click.Choice(["fp16", "fp32", "bf16"]), help="output dtype; merges are scored in it")
@click.option("--last", type=int, help="take only the last K checkpoints of each run folder")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--no-early-stop", is_flag=True,
              help="decode every trial merge's whole dev pass, even once it cannot beat the best (same result)")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="processes sharing the dev set on this machine (runs this command under torchrun; one GPU each "
                   "when there are enough)")
@click.option("--cache-dir", help="where single-candidate scores are cached (default: ~/.cache/sapsoup/scores)")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
@click.pass_context
def select(ctx, candidates, dev_dir, out, target, strategy, split, beam_size, length_penalty, postprocess_path,
           trace_path, plot_path, to, dtype, last, batch_size, no_early_stop, workers, cache_dir, force):
    """Keep only the candidates that lower the dev error rate of the merge (SMAcT, greedy soup), or merge all.

    The rate optimised is the --target edition's primary metric (SAPC1: WER; SAPC2: CER); the
    edition's other metrics are shown beside it. A trial merge's dev pass stops as soon as it can
    no longer beat the best (--no-early-stop decodes it all; the kept models are the same).
    `torchrun --nproc-per-node N $(which sapsoup) select ...` spreads the dev set over N processes
    (and machines, with --nnodes); only rank 0 writes and prints.
    """
    if workers > 1 and int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1:
        _run_workers(ctx, workers)
    from sapsoup.builder import select as selection
    from sapsoup.builder.convert import check_output_apart, default_dtype, default_target, prepare_output
    from sapsoup.builder.sources import expand_sources
    from sapsoup.submission.decoding import DecodingSettings
    from sapsoup.validate import devscore

    ranks = devscore.join_ranks()
    if not ranks.is_writer:
        console.quiet = True
    target = target or DEFAULT_TARGET
    to = to or default_target(out)
    dtype = dtype or default_dtype(to)
    trace_path = trace_path or selection.default_trace_path(out)
    post = _postprocess_options(postprocess_path)
    try:
        paths = expand_sources(list(candidates), last=last)
        inputs = [*candidates, *paths]
        prepare_output(out, force, inputs)
        for path, what in ((trace_path, "--trace"), (plot_path, "--plot")):
            if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
                raise CheckpointError(f"{path} ({what}): folder {os.path.dirname(os.path.abspath(path))} does not exist")
            if path:
                check_output_apart(path, inputs, f"the {what} file")
        checkpoints = selection.open_candidates(paths, strategy)
        for path, what in ((trace_path, "--trace"), (plot_path, "--plot")):
            if path:
                check_output_apart(path, [f for c in checkpoints for f in c.weight_files], f"the {what} file")
        if to == "openai":
            checkpoints[0].shape.openai_dims(out)
        dev = devscore.load_dev(dev_dir, split, target)
    except (CheckpointError, devscore.DevScoreError) as error:
        raise click.ClickException(str(error)) from None

    options = devscore.ScoringOptions(DecodingSettings(beam_size, length_penalty), post, dtype, batch_size)
    cache = devscore.ScoreCache(cache_dir or devscore.default_cache_dir())
    metric = dev.metric
    processes = f", {ranks.size} processes" if ranks.size > 1 else ""
    console.print(f"{strategy} over {len(paths)} candidates on {dev_dir} ({split}: {len(dev.audios)} utterances; "
                  f"{target}: optimising {metric}{processes})")
    if plot_path and strategy == "smact":
        console.print(f"--plot: each of the {len(paths)} candidates is also scored alone, for the plot's crosses "
                      "(one more dev pass per candidate whose score is not cached)")
    try:
        with cleanup_on_sigterm():
            with _Bars(enabled=ranks.is_writer) as bars:
                evaluator = devscore.DevEvaluator(dev, options, cache, progress=bars.evaluation, ranks=ranks)
                trace, merged = selection.select(checkpoints, strategy, evaluator, evaluator.settings(), trace_path,
                                                 with_singles=bool(plot_path), on_step=bars.step,
                                                 on_notice=console.print, early_stop=not no_early_stop)
            if ranks.is_writer:
                selection.write_selection(out, to, dtype, merged, trace, checkpoints)
                if plot_path:
                    selection.plot_trace(trace, plot_path)
    except (CheckpointError, devscore.DevScoreError) as error:
        raise click.ClickException(str(error)) from None
    if not ranks.is_writer:
        return

    others = [m for m in trace.metrics if m != metric]
    table = Table(title=f"{strategy}: {len(trace.selected)} of {len(trace.candidates)} kept ({target}, {metric})")
    decisions = [step.decision if step.rejected_after is None else f"{step.decision}: {selection.rejection_note(step)}"
                 for step in trace.steps]
    for column in ("#", "candidate", "models", f"{metric} %", *(f"{m} %" for m in others), f"{metric} >=30s %",
                   "alone %"):
        table.add_column(column)
    table.add_column("decision", no_wrap=True, min_width=max(len(d) for d in decisions))
    for number, (step, decision) in enumerate(zip(trace.steps, decisions), start=1):
        table.add_row(
            str(number), _short(step.candidate), str(len(step.ensemble)), _percent(step.rate),
            *(_percent(step.rates.get(m)) for m in others), _percent(step.rate_long), _percent(step.own_rate), decision,
        )
    Console(width=max(100, Console().width)).print(table)
    rates = ", ".join(f"{m} {trace.rates[m]:.2f}%" for m in trace.metrics if m in trace.rates)
    console.print(f"wrote {out} (dev {rates}), trace {trace_path}; "
                  f"{evaluator.decoded} dev passes, {evaluator.cached} from the cache")
    if evaluator.full_utterances:
        skipped = 1 - evaluator.audio_seconds / evaluator.full_audio_seconds if evaluator.full_audio_seconds else 0.0
        console.print(f"decoded {evaluator.utterances_decoded} of {evaluator.full_utterances} utterances "
                      f"({evaluator.audio_seconds:.1f} of {evaluator.full_audio_seconds:.1f} s of audio) in this run; "
                      f"early rejection skipped {100 * skipped:.0f}% of the audio "
                      f"({evaluator.rejected} of {evaluator.decoded} passes stopped early)")


def _short(path) -> str:
    """A candidate as the table names it: its file or folder name (the trace holds the full path)."""
    return "(all)" if path is None else os.path.basename(path.rstrip("/")) or path


def _percent(value) -> str:
    return "-" if value is None else f"{value:.2f}"
