"""Build recipes: what a TOML recipe may say, and how `sapsoup build` refuses one that is wrong."""

import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import random_tensors, save_openai
from sapsoup.builder.archive import DecodingSettings
from sapsoup.builder.recipe import Recipe, RecipeError, load_recipe, model_recipe
from sapsoup.cli import main

REPOSITORY = Path(__file__).resolve().parent.parent


def write_recipe(folder, text):
    path = Path(folder) / "recipe.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def two_checkpoints(tmp_path):
    """Two small random openai-whisper checkpoints in a `runs/` folder beside the recipe."""
    runs = tmp_path / "runs"
    runs.mkdir()
    save_openai(runs / "a.pt", random_tensors(seed=1))
    save_openai(runs / "b.pt", random_tensors(seed=2))
    return tmp_path


FULL = """
target = "sapc2"

[model]
checkpoints = ["runs/a.pt", "runs/b.pt"]
method = "weighted"
weights = [3, 1]
normalize = true
dtype = "fp32"

[decoding]
beam_size = 4
length_penalty = 0.5

[postprocess]
fillers = "drop"
numbers = false
"""


def test_a_full_recipe_gives_every_setting(two_checkpoints):
    recipe = load_recipe(write_recipe(two_checkpoints, FULL))
    assert recipe.target == "sapc2"
    assert recipe.method == "weighted" and recipe.weights == [3.0, 1.0] and recipe.normalize is True
    assert recipe.dtype == "fp32"
    assert recipe.decoding == DecodingSettings(beam_size=4, length_penalty=0.5)
    assert recipe.postprocess["fillers"] == "drop" and recipe.postprocess["numbers"] is False
    assert recipe.postprocess["spelled_letters"] is True  # left out: the post-processing default


def test_relative_checkpoints_are_read_from_the_recipe_folder(two_checkpoints, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    recipe = load_recipe(write_recipe(two_checkpoints, FULL))
    assert recipe.checkpoints == [str(two_checkpoints / "runs" / "a.pt"), str(two_checkpoints / "runs" / "b.pt")]


def test_a_minimal_recipe_takes_the_defaults(two_checkpoints):
    recipe = load_recipe(write_recipe(two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt"]\n'))
    assert recipe.target == "sapc1"
    assert recipe.method == "uniform" and recipe.weights is None
    assert recipe.dtype == "fp16"
    assert recipe.decoding == DecodingSettings(beam_size=None, length_penalty=0.6)


def test_a_pretrained_model_is_named_not_located(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path, '[model]\ncheckpoints = ["pretrained:tiny.en"]\n'))
    assert recipe.checkpoints == ["pretrained:tiny.en"]


def test_the_project_default_recipe_packs_the_demo_soup(tmp_path):
    import shutil

    from conftest import random_tensors, save_openai

    (tmp_path / "recipes").mkdir()
    (tmp_path / "work").mkdir()
    shutil.copy(REPOSITORY / "recipes" / "default.toml", tmp_path / "recipes" / "default.toml")
    save_openai(tmp_path / "work" / "soup.pt", random_tensors())
    recipe = load_recipe(str(tmp_path / "recipes" / "default.toml"))
    assert recipe.target == "sapc1"
    assert recipe.checkpoints == [str(tmp_path / "work" / "soup.pt")]
    assert recipe.decoding.beam_size is None  # greedy, as `sapsoup select` scores it


@pytest.mark.parametrize(
    "text, expected",
    [
        ('targett = "sapc1"\n[model]\ncheckpoints = ["runs/a.pt"]\n', "unknown key 'targett'"),
        ('[model]\ncheckpoints = ["runs/a.pt"]\nweight = [1]\n', "unknown key model.'weight'"),
        ('[model]\ncheckpoints = ["runs/a.pt"]\n[decoding]\nbeam = 5\n', "unknown key decoding.'beam'"),
        ('[model]\ncheckpoints = ["runs/a.pt"]\n[postprocess]\nfiller = "drop"\n', "unknown post-processing option"),
    ],
)
def test_an_unknown_key_is_refused_by_name(two_checkpoints, text, expected):
    path = write_recipe(two_checkpoints, text)
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    assert str(error.value).startswith(path)
    assert expected in str(error.value)


def test_a_missing_checkpoint_is_refused_with_the_path_looked_for(two_checkpoints):
    path = write_recipe(two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt", "runs/gone.pt"]\n')
    with pytest.raises(RecipeError, match=r"checkpoint 'runs/gone.pt' not found .*runs/gone.pt"):
        load_recipe(path)


@pytest.mark.parametrize(
    "model, expected",
    [
        ('checkpoints = ["runs/a.pt", "runs/b.pt"]\nweights = [1, 2, 3]', "3 values for 2 checkpoints"),
        ('checkpoints = ["runs/a.pt", "runs/b.pt"]\nmethod = "weighted"', "needs model.weights"),
        ('checkpoints = ["runs/a.pt", "runs/b.pt"]\nmethod = "uniform"\nweights = [1, 2]', "say \"weighted\""),
        ('checkpoints = ["runs/a.pt", "runs/b.pt"]\nmethod = "ties"', "is not one of uniform, weighted"),
        ('checkpoints = ["runs/a.pt", "runs/b.pt"]\nweights = [1, "x"]', "finite numbers"),
        ('checkpoints = ["runs/a.pt", "runs/a.pt"]', "same checkpoint twice"),
        ("checkpoints = []", "non-empty list"),
        ('checkpoints = ["runs/a.pt"]\ndtype = "int8"', "model.dtype 'int8'"),
        ('checkpoints = ["pretrained:large-v9"]', "unknown pretrained model 'large-v9'"),
    ],
)
def test_a_model_section_that_cannot_be_merged_is_refused(two_checkpoints, model, expected):
    with pytest.raises(RecipeError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_recipe(write_recipe(two_checkpoints, f"[model]\n{model}\n"))


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('target = "sapc3"', "target 'sapc3' is not one of sapc1, sapc2"),
        ("[decoding]\nbeam_size = 0", "beam size must be a whole number of at least 1"),
        ("[decoding]\nbeam_size = 2.5", "beam_size must be a whole number"),
        ("[decoding]\nlength_penalty = 2.0", "length penalty must lie in"),
        ('[postprocess]\nfillers = "shout"', "fillers must be one of"),
    ],
)
def test_a_target_or_setting_out_of_range_is_refused(two_checkpoints, extra, expected):
    text = f'{extra}\n[model]\ncheckpoints = ["runs/a.pt"]\n' if not extra.startswith("[") else (
        f'[model]\ncheckpoints = ["runs/a.pt"]\n{extra}\n'
    )
    with pytest.raises(RecipeError, match=expected):
        load_recipe(write_recipe(two_checkpoints, text))


def test_a_file_that_is_not_toml_is_refused_naming_it(tmp_path):
    path = write_recipe(tmp_path, "[model\ncheckpoints = 1\n")
    with pytest.raises(RecipeError, match=f"^{path}: not valid TOML"):
        load_recipe(path)


def test_a_missing_recipe_file_is_refused(tmp_path):
    with pytest.raises(RecipeError, match="cannot read recipe"):
        load_recipe(str(tmp_path / "nope.toml"))


def test_model_recipe_reads_its_checkpoint_from_the_working_folder(two_checkpoints, monkeypatch):
    monkeypatch.chdir(two_checkpoints / "runs")
    recipe = model_recipe("a.pt", target="sapc2")
    assert isinstance(recipe, Recipe)
    assert recipe.checkpoints == [str(two_checkpoints / "runs" / "a.pt")] and recipe.target == "sapc2"
    with pytest.raises(RecipeError, match="^--model: checkpoint 'gone.pt' not found"):
        model_recipe("gone.pt")


# ----------------------------------------------------------------------------- the command


def test_build_with_a_bad_recipe_prints_one_line_exits_nonzero_and_writes_nothing(two_checkpoints):
    out = two_checkpoints / "dist" / "submission.zip"
    path = write_recipe(two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt"]\ncolour = "red"\n')
    result = CliRunner().invoke(main, ["build", path, "-o", str(out)])
    assert result.exit_code != 0
    message = [line for line in result.output.splitlines() if line.strip()]
    assert message == [f"Error: {path}: unknown key model.'colour' (allowed: checkpoints, dtype, method, normalize, weights)"]
    assert not out.exists()


def test_build_needs_exactly_one_of_recipe_and_model(two_checkpoints):
    path = write_recipe(two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt"]\n')
    both = CliRunner().invoke(main, ["build", path, "--model", str(two_checkpoints / "runs" / "a.pt")])
    neither = CliRunner().invoke(main, ["build"])
    assert both.exit_code == 2 and neither.exit_code == 2


def test_build_merges_a_recipe_and_records_the_merge(two_checkpoints):
    out = two_checkpoints / "dist" / "submission.zip"
    path = write_recipe(
        two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt", "runs/b.pt"]\nweights = [3, 1]\n[decoding]\nbeam_size = 2\n'
    )
    result = CliRunner().invoke(main, ["build", path, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        record = json.loads(archive.read("sapsoup.json"))
    assert record["merge"]["method"] == "weighted"
    assert [i["weight"] for i in record["merge"]["inputs"]] == [0.75, 0.25]
    assert [os.path.basename(i["path"]) for i in record["merge"]["inputs"]] == ["a.pt", "b.pt"]
    assert record["decoding"]["beam_size"] == 2
    assert sorted(os.listdir(out.parent)) == ["submission.zip"]  # no staging folder or partial file left


def test_command_line_options_override_the_recipe(two_checkpoints):
    out = two_checkpoints / "submission.zip"
    path = write_recipe(
        two_checkpoints, '[model]\ncheckpoints = ["runs/a.pt"]\n[decoding]\nbeam_size = 2\n[postprocess]\nnumbers = false\n'
    )
    result = CliRunner().invoke(
        main, ["build", path, "-o", str(out), "--target", "sapc2", "--beam-size", "3", "--postprocess", "fillers=drop"]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        record = json.loads(archive.read("sapsoup.json"))
        assert "model.py" in archive.namelist()
    assert record["target"] == "sapc2"
    assert record["decoding"]["beam_size"] == 3
    assert record["postprocess"]["fillers"] == "drop"
    assert record["postprocess"]["numbers"] is False  # the recipe's other options stay


def test_postprocess_off_switches_every_rule_off(two_checkpoints):
    from sapsoup.postprocess import RULES

    out = two_checkpoints / "submission.zip"
    result = CliRunner().invoke(
        main, ["build", "--model", str(two_checkpoints / "runs" / "a.pt"), "-o", str(out), "--postprocess", "off"]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        options = json.loads(archive.read("sapsoup.json"))["postprocess"]
    assert all(options[rule] == ("keep" if rule == "fillers" else False) for rule in RULES)


def test_a_malformed_postprocess_option_is_a_usage_error(two_checkpoints):
    out = two_checkpoints / "submission.zip"
    result = CliRunner().invoke(
        main, ["build", "--model", str(two_checkpoints / "runs" / "a.pt"), "-o", str(out), "--postprocess", "numbers=maybe"]
    )
    assert result.exit_code == 2 and "numbers takes true or false" in result.output
    assert not out.exists()


def test_an_unknown_postprocess_value_is_a_usage_error(two_checkpoints):
    out = two_checkpoints / "submission.zip"
    result = CliRunner().invoke(
        main, ["build", "--model", str(two_checkpoints / "runs" / "a.pt"), "-o", str(out), "--postprocess", "fillers=shout"]
    )
    assert result.exit_code == 2 and "fillers must be one of" in result.output
    assert not out.exists()


def test_build_refuses_a_model_whose_ffn_openai_whisper_cannot_hold(tmp_path):
    from conftest import SMALL, random_tensors, save_hf
    from sapsoup.builder.layout import WhisperShape

    wide = WhisperShape(**{**SMALL.__dict__, "encoder_ffn": 3 * SMALL.d_model, "decoder_ffn": 3 * SMALL.d_model})
    folder = save_hf(tmp_path / "wide-hf", random_tensors(wide), wide)
    out = tmp_path / "dist" / "submission.zip"
    result = CliRunner().invoke(main, ["build", "--model", folder, "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {folder}: encoder FFN width 192 is not 4 x d_model (256); "
        "a sapc1 archive runs openai-whisper, which cannot hold such a model"
    ]
    assert not out.parent.exists()  # refused before anything was written


def test_build_prints_a_table_of_the_archives_files_and_sizes(two_checkpoints):
    out = two_checkpoints / "submission.zip"
    result = CliRunner().invoke(main, ["build", "--model", str(two_checkpoints / "runs" / "a.pt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        for info in archive.infolist():
            assert info.filename in result.output and f"{info.file_size:,}" in result.output
