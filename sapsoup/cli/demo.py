"""`sapsoup demo ...`: the laptop-sized reproduction of the paper; `demo finetune` trains the runs."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sapsoup.demo import finetune as finetune_lib


@click.group("demo")
def demo():
    """The paper's method end to end on synthetic data and real tiny.en weights."""


@demo.command("finetune")
@click.option("--corpus", "corpus_dir", required=True, type=click.Path(file_okay=False),
              help="A corpus from `sapsoup corpus synth` (its train split is used).")
@click.option("-o", "--output", "output", required=True, type=click.Path(),
              help="Folder to create: run-k/checkpoint-N per run, plan.json, finetune.json.")
@click.option("--runs", default=3, show_default=True, type=int, help="Independent runs, one hyper-parameter draw each.")
@click.option("--steps", default=8, show_default=True, type=int, help="Optimiser steps per run.")
@click.option("--save-every", default=2, show_default=True, type=int,
              help="Save a checkpoint every this many steps (and at the last step).")
@click.option("--batch-size", default=4, show_default=True, type=int, help="Utterances per step.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Same seed, same hyper-parameters, batches and weights.")
@click.option("--base", default="tiny.en", show_default=True,
              help="Packaged model name, or a Hugging Face Whisper folder with processor files.")
@click.option("--resume", is_flag=True,
              help="Continue OUTPUT if it exists (same settings): finished runs and checkpoints are kept.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def finetune(corpus_dir, output, runs, steps, save_every, batch_size, seed, base, resume, force):
    """Fine-tune Whisper on the corpus' train split: several runs, hyper-parameters drawn per run."""
    console = Console(stderr=True)
    settings = finetune_lib.FinetuneSettings(base=base, runs=runs, steps=steps, save_every=save_every,
                                             batch_size=batch_size, seed=seed)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[loss]}"), TimeElapsedColumn(), console=console, transient=True)
    with progress:
        task = progress.add_task("fine-tuning", total=max(runs, 0) * max(steps, 0), loss="")
        summary = finetune_lib.finetune(
            corpus_dir, output, settings, resume=resume, force=force,
            on_step=lambda run, step, loss: progress.update(
                task, advance=1, description=f"run {run}/{runs} step {step}/{steps}", loss=f"loss {loss:.3f}"),
        )

    if summary.already_done:
        console.print(f"[green]already done[/green] {escape(str(summary.runs_dir))}: nothing to train", highlight=False)
    if summary.left_out:
        too_long = sum(item.too_long for item in summary.left_out)
        console.print(
            f"left out {len(summary.left_out)} train utterances: {too_long} over {finetune_lib.MAX_SECONDS:g} s, "
            f"{len(summary.left_out) - too_long} with a transcript that cannot be a label "
            f"(each listed in {escape(str(summary.runs_dir / finetune_lib.SUMMARY_FILE))})",
            highlight=False, soft_wrap=True,
        )
    for run in summary.runs:
        h = run.hyperparameters
        first, last = (f"{run.losses[0]:.3f}", f"{run.losses[-1]:.3f}") if run.losses else ("-", "-")
        console.print(
            f"{run.name}: lr {h.learning_rate:.2e}, wd {h.weight_decay:.3f}, dropout {h.dropout:.3f}/"
            f"{h.attention_dropout:.3f}/{h.activation_dropout:.3f}, SpecAugment {h.mask_time_prob:.3f}/"
            f"{h.mask_feature_prob:.3f}; loss {first} -> {last}; {len(run.checkpoints)} checkpoints",
            highlight=False, soft_wrap=True,
        )
    console.print(
        f"[green]wrote[/green] {escape(str(summary.runs_dir))}: {len(summary.runs)} runs on "
        f"{summary.train_utterances} utterances ({len(summary.left_out)} left out)"
        + ("" if summary.already_done else f" in {summary.seconds / 60:.1f} min"),
        highlight=False, soft_wrap=True,
    )
