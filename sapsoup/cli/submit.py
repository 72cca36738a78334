"""`sapsoup submit`: send an archive to a `sapsoup serve` platform and follow it to its score."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def describe(state: dict) -> str:
    if state["status"] == "submitted":
        position = state.get("queue_position")
        return f"#{state['id']} queued" + (f", position {position}" if position else "")
    return f"#{state['id']} {state['status']}" + (f": {state['stage']}" if state.get("stage") else "")


@click.command("submit")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--server", required=True, help="The platform's address, e.g. http://127.0.0.1:8080.")
@click.option("--team", required=True, help="Team name the submission counts for.")
@click.option("--wait", "wait_for_score", is_flag=True, help="Follow the run and print the scores.")
@click.option("--poll", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Seconds between status checks.")
def submit(archive, server, team, wait_for_score, poll):
    """Upload ARCHIVE to a `sapsoup serve` platform and wait for its score.

    Exits 0 when the upload was accepted (with --wait: when the run finished), 1 with one line when it
    was refused or the run failed.
    """
    from sapsoup.challenge import client

    console, errors = Console(), Console(stderr=True)
    answer = client.upload(server, archive, team)
    url = server.rstrip("/") + answer["url"]
    if answer.get("duplicate"):
        console.print(f"note: {escape(answer['message'])}", highlight=False)
    console.print(f"submission #{answer['id']} ({answer['edition']}, team {escape(answer['team'])}): {url}",
                  highlight=False)
    if not wait_for_score:
        console.print(escape(describe(answer)), highlight=False)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=errors, transient=True) as progress:
        task = progress.add_task(describe(answer), total=None)

        def on_update(state: dict) -> None:
            done_total = state.get("progress")
            progress.update(task, description=escape(describe(state)),
                            completed=done_total[0] if done_total else 0, total=done_total[1] if done_total else None)

        final = client.wait(server, answer["id"], on_update, poll)
    if final["status"] == "failed":
        raise click.ClickException(f"submission #{final['id']} failed: {final['reason']}")
    for split, values in final["scores"].items():
        shown = ", ".join(f"{metric} {'not computed' if value is None else f'{value:.2f}'}"
                          for metric, value in values.items())
        console.print(f"{escape(split)}: {shown}", highlight=False)
