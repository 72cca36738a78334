"""`sapsoup postprocess`: try the post-processing rules on a line of text, or on each line of stdin."""

import sys

import click
from rich.console import Console
from rich.progress import track

from sapsoup.postprocess import FILLER_STYLES, PostprocessOptions, postprocess as rewrite


def _decode_lines(data: bytes) -> list[str]:
    """Lines of stdin; an undecodable line stops everything before any output is written."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            decoded.append(line.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as error:
            raise click.ClickException(
                f"<stdin>: line {number} is not valid UTF-8 (byte {error.start + 1}); nothing was written"
            ) from None
    return decoded


@click.command("postprocess")
@click.argument("text", required=False)
@click.option("--fillers", type=click.Choice(FILLER_STYLES), default="brackets", show_default=True,
              help="How filler words (um, uh, hmm, ...) are written.")
@click.option("--numbers/--no-numbers", default=True, show_default=True, help="Write numbers as words.")
@click.option("--spelled-letters/--no-spelled-letters", default=True, show_default=True,
              help="Write spelled letters (A-B-C, t.v.) as ~A ~B ~C.")
@click.option("--acronyms/--no-acronyms", default=True, show_default=True,
              help="Split listed initialisms into letters (TV -> ~T ~V), as the reference normaliser does.")
@click.option("--joined-words/--no-joined-words", default=True, show_default=True,
              help="Split words glued by punctuation (well-known -> well known).")
def postprocess(text, fillers, numbers, spelled_letters, acronyms, joined_words):
    """Print TEXT as post-processed for SAP scoring; without TEXT, each line of stdin, one output line per
    input line (an empty line stays an empty line, so hypothesis files keep their line count)."""
    options = PostprocessOptions(
        fillers=fillers, numbers=numbers, spelled_letters=spelled_letters, acronyms=acronyms,
        joined_words=joined_words,
    )
    lines = [text] if text is not None else _decode_lines(sys.stdin.buffer.read())
    stderr = Console(stderr=True)
    # A whole hypothesis file takes a while; the bar shows only on a terminal and leaves stdout clean.
    results = [
        rewrite(line, options)
        for line in track(lines, description="post-processing", console=stderr, transient=True,
                          disable=len(lines) < 1000 or not stderr.is_terminal)
    ]
    for result in results:
        click.echo(result)
