"""`sapsoup build`: merge (or convert) checkpoints, then pack the organisers' submission ZIP."""

import dataclasses
import os

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from sapsoup import editions
from sapsoup.builder.archive import TARGETS, DecodingSettings, files_table
from sapsoup.builder.build import build_submission
from sapsoup.builder.recipe import load_recipe, model_recipe

console = Console(stderr=True)
TRUE_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def parse_postprocess_settings(settings, base: dict) -> dict:
    """Apply `--postprocess KEY=VALUE` settings (repeatable, in order) to the options `base`;
    `--postprocess off` switches every rule off (fillers kept as Whisper wrote them)."""
    from sapsoup.postprocess import RULES, PostprocessOptions

    defaults = PostprocessOptions()
    chosen = dict(base)
    for setting in settings:
        if setting.strip().lower() == "off":
            for rule in RULES:
                chosen[rule] = "keep" if rule == "fillers" else False
            continue
        key, equals, value = setting.partition("=")
        key = key.strip()
        if not equals or key not in chosen:
            raise click.BadParameter(
                f"{setting!r}: expected KEY=VALUE with KEY one of {', '.join(chosen)}, or 'off'",
                param_hint="--postprocess",
            )
        if isinstance(getattr(defaults, key), bool):
            if value.strip().lower() not in TRUE_WORDS:
                raise click.BadParameter(f"{setting!r}: {key} takes true or false", param_hint="--postprocess")
            chosen[key] = TRUE_WORDS[value.strip().lower()]
        else:
            chosen[key] = value.strip()
    try:
        return PostprocessOptions.from_dict(chosen).to_dict()
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--postprocess") from None


@click.command()
@click.argument("recipe", required=False, type=click.Path(dir_okay=False))
@click.option("-m", "--model", help="one checkpoint sapsoup reads (any format), or pretrained:NAME; instead of RECIPE")
@click.option("-o", "--output", "out", default=os.path.join("dist", "submission.zip"), show_default=True,
              help="the ZIP to write")  # fmt: skip
@click.option("--target", type=click.Choice(TARGETS), help="which challenge's contract (default: the recipe's, else sapc1)")
@click.option("--beam-size", type=click.IntRange(min=1), help="beam search width (default: the recipe's, else greedy)")
@click.option("--postprocess", "postprocess_settings", multiple=True, metavar="KEY=VALUE|off",
              help="a post-processing option, e.g. fillers=drop or numbers=false; 'off' switches all rules off")  # fmt: skip
@click.option("--dtype", type=click.Choice(["fp16", "fp32"]),
              help="precision of a converted or merged model (default fp16); an openai .pt alone is packed as it is")  # fmt: skip
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def build(recipe, model, out, target, beam_size, postprocess_settings, dtype, force):
    """Pack a submission ZIP from RECIPE (a TOML file) or from one checkpoint (--model).

    The ZIP runs on the organisers' server as it is, records in sapsoup.json how it was made, and
    is byte-identical when built twice from the same inputs.
    """
    if bool(recipe) == bool(model):
        raise click.UsageError("give either a RECIPE file or --model, not both and not neither")
    if recipe:
        plan = load_recipe(recipe)
    else:
        plan = model_recipe(model, target or editions.DEFAULT, dtype=dtype or "fp16")
    overrides = {}
    if target:
        overrides["target"] = target
    if dtype:
        overrides["dtype"] = dtype
    if beam_size:
        overrides["decoding"] = DecodingSettings(beam_size, plan.decoding.length_penalty)
    if postprocess_settings:
        overrides["postprocess"] = parse_postprocess_settings(postprocess_settings, plan.postprocess)
    plan = dataclasses.replace(plan, **overrides)
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    )  # fmt: skip
    files = build_submission(plan, out, force=force, progress=progress, on_stage=console.print)
    console.print(files_table(files, title=f"{out} ({plan.target})"))
    click.echo(out)
