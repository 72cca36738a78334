"""`sapsoup select`: SMAcT, greedy or uniform soups, each merge scored on a prepared dev split."""

import json
import os

import click
from rich.console import Console
from rich.table import Table

from sapsoup.builder.errors import CheckpointError
from sapsoup.cli.checkpoints import cleanup_on_sigterm

console = Console(stderr=True)


class _Bars:
    """One rich progress bar for the steps and one for the utterances of the current evaluation."""

    def __init__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task = None

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def step(self, label: str) -> None:
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


@click.command()
@click.argument("candidates", nargs=-1, required=True)
@click.option("--dev", "dev_dir", required=True, help="a folder written by `sapsoup dev prepare`")
@click.option("-o", "--output", "out", required=True, help="where the selected merge goes (.pt: openai; else HF folder)")
@click.option("--strategy", type=click.Choice(["smact", "greedy", "uniform"]), default="smact", show_default=True)
@click.option("--split", default="dev", show_default=True, help="the dev split to score on")
@click.option("--beam-size", type=click.IntRange(min=1), help="beam search width (default: greedy, as the archive)")
@click.option("--length-penalty", type=click.FloatRange(0.0, 1.0), default=0.6, show_default=True)
@click.option("--postprocess-options", "postprocess_path", help="JSON file of post-processing options (default: the defaults)")
@click.option("--trace", "trace_path", help="selection trace JSON (default: beside OUT); an unfinished one is resumed")
@click.option("--plot", "plot_path", help="draw WER against the number of merged models to this PNG")
@click.option("--to", type=click.Choice(["openai", "hf"]))
@click.option("--dtype", type=click.Choice(["fp16", "fp32", "bf16"]), help="output dtype; merges are scored in it")
@click.option("--last", type=int, help="take only the last K checkpoints of each run folder")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="processes sharing the dev set (torch.distributed; one GPU each when there are enough)")
@click.option("--cache-dir", help="where single-candidate scores are cached (default: ~/.cache/sapsoup/scores)")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
def select(candidates, dev_dir, out, strategy, split, beam_size, length_penalty, postprocess_path, trace_path,
           plot_path, to, dtype, last, batch_size, workers, cache_dir, force):
    """Keep only the candidates that lower the dev WER of the merge (SMAcT, greedy soup), or merge all."""
    from sapsoup.builder import select as selection
    from sapsoup.builder.checkpoints import open_checkpoint
    from sapsoup.builder.sources import expand_sources
    from sapsoup.builder.convert import check_output_apart, default_dtype, default_target, prepare_output
    from sapsoup.builder.merge import check_compatible
    from sapsoup.validate import devscore

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
        if strategy != "uniform" and len(paths) < 2:
            raise CheckpointError(f"{strategy} needs at least two candidates, got {len(paths)} ({', '.join(paths)})")
        checkpoints = [open_checkpoint(p) for p in paths]
        for path, what in ((trace_path, "--trace"), (plot_path, "--plot")):
            if path:
                check_output_apart(path, [f for c in checkpoints for f in c.weight_files], f"the {what} file")
        check_compatible(checkpoints)
        if to == "openai":
            checkpoints[0].shape.openai_dims(out)
        dev = devscore.load_dev(dev_dir, split)
    except (CheckpointError, devscore.DevScoreError) as error:
        raise click.ClickException(str(error)) from None

    options = devscore.ScoringOptions(beam_size, length_penalty, post, dtype, batch_size, workers)
    cache = devscore.ScoreCache(cache_dir or devscore.default_cache_dir())
    console.print(f"{strategy} over {len(paths)} candidates on {dev_dir} ({split}: {len(dev.audios)} utterances)")
    if plot_path and strategy == "smact":
        console.print(f"--plot: each of the {len(paths)} candidates is also scored alone, for the plot's crosses "
                      "(one more dev pass per candidate whose score is not cached)")
    try:
        with cleanup_on_sigterm():
            with _Bars() as bars:
                evaluator = devscore.DevEvaluator(dev, options, cache, progress=bars.evaluation)
                trace, merged = selection.select(paths, strategy, evaluator, evaluator.settings(), trace_path,
                                                 with_singles=bool(plot_path), on_step=bars.step,
                                                 on_notice=console.print)
            selection.write_selection(out, to, dtype, merged, trace)
            if plot_path:
                selection.plot_trace(trace, plot_path)
    except (CheckpointError, devscore.DevScoreError) as error:
        raise click.ClickException(str(error)) from None

    table = Table(title=f"{strategy}: {len(trace.selected)} of {len(trace.candidates)} kept")
    for column in ("step", "candidate", "models", "WER %", "WER >= 30 s %", "alone %", "decision"):
        table.add_column(column)
    for number, step in enumerate(trace.steps, start=1):
        table.add_row(
            str(number), step.candidate or "(all)", str(len(step.ensemble)), f"{step.wer:.2f}",
            "-" if step.wer_long is None else f"{step.wer_long:.2f}",
            "-" if step.own_wer is None else f"{step.own_wer:.2f}", step.decision,
        )
    Console().print(table)
    console.print(f"wrote {out} (dev WER {trace.wer:.2f}%), trace {trace_path}; "
                  f"{evaluator.decoded} dev passes, {evaluator.cached} from the cache")
