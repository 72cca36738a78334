"""The post-processing package piece by piece: options, single rules, self-containment, the command."""

import ast
import dataclasses
import importlib
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sapsoup.cli import main
from sapsoup.postprocess import (
    FILLER_STYLES,
    RULES,
    PostprocessOptions,
    mark_fillers,
    numbers_to_words,
    postprocess,
    spell_letters,
    split_acronyms,
    split_joined_words,
)

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "postprocess"


# Options ----------------------------------------------------------------------------------------


def test_default_options_bracket_fillers_and_switch_every_rule_on():
    options = PostprocessOptions()
    assert options.fillers == "brackets"
    assert options.numbers and options.spelled_letters and options.acronyms and options.joined_words


def test_options_round_trip_through_a_plain_dict():
    options = PostprocessOptions(fillers="drop", numbers=False, acronyms=False)
    assert PostprocessOptions.from_dict(options.to_dict()) == options
    assert options.to_dict() == {"fillers": "drop", "numbers": False, "spelled_letters": True,
                                 "acronyms": False, "joined_words": True}


def test_options_from_a_dict_with_an_unknown_key_raise_value_error_naming_it():
    with pytest.raises(ValueError, match="unknown post-processing option.*numbres"):
        PostprocessOptions.from_dict({"numbres": False})


def test_options_with_an_unknown_filler_style_raise_value_error():
    with pytest.raises(ValueError, match="fillers must be one of"):
        PostprocessOptions(fillers="shout")


def test_options_with_a_non_boolean_toggle_raise_value_error():
    with pytest.raises(ValueError, match="numbers must be true or false"):
        PostprocessOptions.from_dict({"numbers": "yes"})


def test_rules_name_every_option_so_each_can_be_switched_off_alone():
    assert set(RULES) == {field.name for field in dataclasses.fields(PostprocessOptions)}
    for rule in RULES:
        off = dataclasses.replace(PostprocessOptions(), **{rule: "keep" if rule == "fillers" else False})
        assert getattr(off, rule) in ("keep", False)


def test_switching_off_a_rule_leaves_its_text_alone():
    text = "Um, the A-B on CNN costs $5, well-known"
    assert postprocess(text, PostprocessOptions(numbers=False)) == "[Um], the ~A ~B on ~C ~N ~N costs $5, well known"
    assert postprocess(text, PostprocessOptions(spelled_letters=False)).startswith("[Um], the A B on")
    assert postprocess(text, PostprocessOptions(acronyms=False)).startswith("[Um], the ~A ~B on CNN")
    assert postprocess(text, PostprocessOptions(joined_words=False)).endswith("dollars, well-known")
    assert postprocess(text, PostprocessOptions(fillers="keep")).startswith("Um, the")


# Single rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "style, expected",
    [
        ("brackets", "[Um], I think [uh] so [hmm]."),
        ("parentheses", "(Um), I think (uh) so (hmm)."),
        ("drop", "I think so."),
        ("keep", "Um, I think uh so hmm."),
    ],
)
def test_filler_style_decides_how_fillers_are_written(style, expected):
    assert postprocess("Um, I think uh so hmm.", PostprocessOptions(fillers=style)) == expected


def test_dropping_fillers_also_drops_fillers_already_marked():
    assert mark_fillers("I [um] want (uh) that", "drop") == "I want that"


def test_dropping_a_filler_between_two_letters_leaves_them_spelled():
    assert postprocess("T um V", PostprocessOptions(fillers="drop")) == "~T ~V"


def test_marking_fillers_in_one_style_leaves_fillers_marked_in_the_other():
    assert mark_fillers("(um) and [uh]", "brackets") == "(um) and [uh]"


def test_each_rule_is_a_plain_function_of_text():
    assert numbers_to_words("at 5pm") == "at five pm"
    assert spell_letters("t.v.") == "~T ~V"
    assert split_acronyms("on TV") == "on ~T ~V"
    assert split_joined_words("well-known") == "well known"
    assert mark_fillers("um") == "[um]"


def test_every_filler_style_writes_a_filler_its_own_way():
    written = {style: mark_fillers("um yes", style) for style in FILLER_STYLES}
    assert written == {"brackets": "[um] yes", "parentheses": "(um) yes", "drop": "yes", "keep": "um yes"}


# Self-containment -------------------------------------------------------------------------------


def test_the_package_imports_only_the_standard_library_and_inflect():
    for path in PACKAGE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top == "inflect", f"{path.name} imports {module}"


def test_a_copy_of_the_package_works_under_another_name(tmp_path, monkeypatch):
    shutil.copytree(PACKAGE_DIR, tmp_path / "shipped_postprocess", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        shipped = importlib.import_module("shipped_postprocess")
        assert Path(shipped.__file__).parent == tmp_path / "shipped_postprocess"
        assert shipped.postprocess("Um, $5 on TV") == "[Um], five dollars on ~T ~V"
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "shipped_postprocess"]:
            del sys.modules[name]


# The command ------------------------------------------------------------------------------------


def test_the_command_prints_the_post_processed_text_argument():
    result = CliRunner().invoke(main, ["postprocess", "Um, it costs $25"])
    assert result.exit_code == 0
    assert result.output == "[Um], it costs twenty five dollars\n"


def test_the_command_rewrites_each_line_of_stdin_and_keeps_empty_lines():
    result = CliRunner().invoke(main, ["postprocess", "--fillers", "drop"], input="uh 3rd\n\nthe T-V\n")
    assert result.exit_code == 0
    assert result.output == "third\n\nthe ~T ~V\n"


def test_the_command_switches_rules_off_with_no_options():
    result = CliRunner().invoke(main, ["postprocess", "--no-numbers", "--no-acronyms", "TV at 5pm"])
    assert result.output == "TV at 5pm\n"


def test_the_command_refuses_stdin_that_is_not_utf8_and_prints_nothing():
    result = CliRunner().invoke(main, ["postprocess"], input=b"fine\n\xff\xfe\n")
    assert result.exit_code == 1
    assert "<stdin>: line 2 is not valid UTF-8" in result.output
    assert "fine" not in result.output


def test_dropping_fillers_copes_with_long_runs_of_blanks():
    assert postprocess(" " * 5000 + "um" + "\t" * 5000 + "yes", PostprocessOptions(fillers="drop")) == "yes"
