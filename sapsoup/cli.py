"""The `sapsoup` command line: one verb per job."""

import click


@click.group()
@click.version_option(package_name="sapsoup")
def main():
    """Merge fine-tuned Whisper checkpoints, pack a SAP Challenge submission, validate it locally."""
