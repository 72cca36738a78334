"""The `sapsoup` command line: one verb per job.

Each verb lives in its own `cli_<area>.py` module and is imported only when it runs, so that
`sapsoup merge` does not pay for importing the corpus synthesiser or the scorer (seconds each).
"""

import importlib

import click

COMMANDS = {
    "pretrained": "sapsoup.cli_builder:pretrained",
    "convert": "sapsoup.cli_builder:convert",
    "inspect": "sapsoup.cli_builder:inspect",
    "corpus": "sapsoup.cli_corpus:corpus",
    "merge": "sapsoup.cli_builder:merge",
    "select": "sapsoup.cli_select:select",
    "postprocess": "sapsoup.cli_postprocess:postprocess",
    "build": "sapsoup.cli_build:build",
    "dev": "sapsoup.cli_validate:dev",
    "validate": "sapsoup.cli_validate:validate",
    "demo": "sapsoup.cli_demo:demo",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is used."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="sapsoup")
def main():
    """Merge fine-tuned Whisper checkpoints, pack a SAP Challenge submission, validate it locally."""
