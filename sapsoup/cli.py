"""The `sapsoup` command line: one verb per job."""

import click


@click.group()
@click.version_option(package_name="sapsoup")
def main():
    """Merge fine-tuned Whisper checkpoints, pack a SAP Challenge submission, validate it locally."""


from sapsoup.cli_builder import convert, inspect, merge, pretrained  # noqa: E402

for _command in (pretrained, convert, inspect, merge):
    main.add_command(_command)
