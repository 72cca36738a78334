"""The command line: one verb per job, each loaded only when used."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from sapsoup.cli import main

VERBS = ["pretrained", "convert", "inspect", "corpus", "merge", "select", "postprocess", "build", "dev", "validate", "demo"]


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_of_the_design_card_answers_help(verb):
    result = CliRunner().invoke(main, [verb, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_top_level_help_lists_every_verb():
    result = CliRunner().invoke(main, ["--help"])
    assert all(verb in result.output for verb in VERBS)


def test_a_command_imports_only_its_own_module():
    """`sapsoup merge` does not pay for the corpus synthesiser, the scorer or transformers."""
    code = (
        "import sys; from sapsoup.cli import main; main.get_command(None, 'merge'); "
        "print(sorted(m for m in ('sapsoup.corpus', 'sapsoup.validate.scoring', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
