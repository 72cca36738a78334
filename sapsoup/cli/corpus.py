"""`sapsoup corpus synth`: write the synthetic SAP-style corpus."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sapsoup.demo import corpus as corpus_lib
from sapsoup.demo import speech


@click.group("corpus")
def corpus():
    """Synthetic speech data in the SAP dataset's layout."""


@corpus.command("synth")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=True, dir_okay=True),
              help="Folder to create (one sub-folder per speaker, splits.json, corpus.json).")
@click.option("--speakers", default=8, show_default=True, type=int, help="Number of speakers (at least 2).")
@click.option("--utterances", default=12, show_default=True, type=int,
              help="Recordings per speaker (at least 3; one in eight is a passage over 30 s).")
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same corpus, byte for byte.")
@click.option("--severity", default=corpus_lib.MIXED, show_default=True,
              type=click.Choice((corpus_lib.MIXED, *speech.SEVERITIES)),
              help="How perturbed the speech is; 'mixed' rotates mild, moderate and severe over speakers.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def synth(output, speakers, utterances, seed, severity, force):
    """Synthesise a SAP-style corpus with eSpeak NG and dysarthria-like perturbations."""
    console = Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True)
    with progress:
        task = progress.add_task("synthesising", total=speakers * utterances)
        summary = corpus_lib.write_corpus(
            output, speakers=speakers, utterances=utterances, seed=seed, severity=severity,
            force=force, on_utterance=lambda what: progress.update(task, advance=1, description=what),
        )
    console.print(
        f"[green]wrote[/green] {escape(str(summary.path))}: {summary.speakers} speakers, {summary.utterances} utterances "
        f"({summary.long_utterances} over {corpus_lib.LONG_SECONDS:.0f} s), {summary.total_seconds / 60:.1f} min of audio; "
        f"train {len(summary.train)} / dev {len(summary.dev)} speakers",
        soft_wrap=True, highlight=False,
    )
