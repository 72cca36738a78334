"""The command line: one verb per job, each loaded only when used."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from sapsoup.cli import main

VERBS = ["pretrained", "convert", "inspect", "corpus", "merge", "select", "postprocess", "build", "dev", "validate", "demo",
         "serve", "submit"]


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_answers_help(verb):
    result = CliRunner().invoke(main, [verb, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_top_level_help_lists_every_verb():
    result = CliRunner().invoke(main, ["--help"])
    assert all(verb in result.output for verb in VERBS)


@pytest.mark.parametrize("verb", VERBS)
def test_the_top_level_help_shows_each_verbs_own_summary(verb):
    """`sapsoup --help` lists verbs without importing them, in the words click takes from each."""
    result = CliRunner().invoke(main, ["--help"], terminal_width=100)
    line = next(line for line in result.output.splitlines() if line.strip().startswith(verb + " "))
    command = main.get_command(None, verb)
    assert line.split(None, 1)[1] == command.get_short_help_str(limit=100 - 6 - max(len(v) for v in VERBS))


def test_the_top_level_help_imports_no_command_module():
    script = (
        "import sys\nfrom sapsoup.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('sapsoup.cli.') or m == 'torch'))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"


def test_a_command_imports_only_its_own_module():
    """`sapsoup merge` does not pay for the corpus synthesiser, the scorer or transformers."""
    code = (
        "import sys; from sapsoup.cli import main; main.get_command(None, 'merge'); "
        "print(sorted(m for m in ('sapsoup.demo.corpus', 'sapsoup.editions.sapc1', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "raised, status, line",
    [
        ("refused", 1, "Error: some.wav: not a WAV file"),
        ("disk", 1, "Error: /data/dev: No space left on device"),
        ("ctrl-c", 130, "interrupted"),
    ],
)
def test_every_command_turns_refusals_into_one_line_and_ctrl_c_into_status_130(monkeypatch, tmp_path, raised, status, line):
    """The group handles errors once for all commands: no command keeps its own list of them."""
    import errno

    from sapsoup.errors import SapsoupError
    from sapsoup.validate import devset

    def fail(*_, **__):
        if raised == "refused":
            raise SapsoupError("some.wav: not a WAV file")
        if raised == "disk":
            raise OSError(errno.ENOSPC, "No space left on device", "/data/dev")
        raise KeyboardInterrupt

    monkeypatch.setattr(devset, "prepare_dev", fail)
    result = CliRunner().invoke(main, ["dev", "prepare", str(tmp_path), "-o", str(tmp_path / "dev")])
    assert result.exit_code == status
    assert result.output.strip().splitlines()[-1] == line
    assert "Traceback" not in result.output
