"""`sapsoup build`: merge (or convert) checkpoints, then pack the organisers' submission ZIP."""

import dataclasses
import hashlib
import os
import tempfile

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sapsoup.builder.archive import MODEL_FILE, TARGETS, ArchiveError, DecodingSettings, build_archive, files_table
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.recipe import PRETRAINED_PREFIX, Recipe, RecipeError, load_recipe, model_recipe

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


def source_record(path: str) -> dict:
    """What went into a build that needed no merge: the file and its sha256."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"method": "none", "inputs": [{"path": path, "format": "openai", "sha256": digest.hexdigest()}]}


def is_openai_file(path: str) -> bool:
    return not path.startswith(PRETRAINED_PREFIX) and os.path.isfile(path)


def check_servable_shapes(sources, target: str) -> None:
    """Refuse, before any tensor is read, a model the archive's openai-whisper cannot hold.

    openai-whisper builds every FFN as 4 x d_model; a Hugging Face model may have another width.
    """
    from sapsoup.builder.checkpoints import open_checkpoint
    from sapsoup.builder.sources import expand_sources

    for path in expand_sources(sources):
        shape = open_checkpoint(path).shape
        for side, width in (("encoder", shape.encoder_ffn), ("decoder", shape.decoder_ffn)):
            if width != 4 * shape.d_model:
                raise ArchiveError(
                    f"{path}: {side} FFN width {width} is not 4 x d_model ({4 * shape.d_model}); "
                    f"a {target} archive runs openai-whisper, which cannot hold such a model"
                )


def prepare_model(recipe: Recipe, staging: str) -> tuple:
    """Turn the recipe's checkpoints into one openai-whisper `.pt`; returns (path, provenance).

    One openai `.pt` is packed as it is; one packaged pretrained model is converted; anything else
    (several checkpoints, a Hugging Face, CTranslate2 or run folder) goes through the merge engine,
    which converts on the way and records what went in.
    """
    from sapsoup.builder.merge import merge_checkpoints
    from sapsoup.builder.pretrained import PRETRAINED, write_pretrained

    sources = recipe.checkpoints
    if len(sources) == 1 and is_openai_file(sources[0]):
        return sources[0], source_record(sources[0])
    if len(sources) == 1 and sources[0].startswith(PRETRAINED_PREFIX):
        name = sources[0][len(PRETRAINED_PREFIX):]
        out = os.path.join(staging, "pretrained.pt")
        write_pretrained(name, out, to="openai", dtype=recipe.dtype)
        packages = list(PRETRAINED[name].pip_names)
        return out, {"method": "none", "inputs": [{"path": sources[0], "format": "ctranslate2", "packages": packages}]}
    paths, unpacked = [], {}
    for number, source in enumerate(sources):
        if source.startswith(PRETRAINED_PREFIX):  # the merge engine reads paths: unpack it first, losslessly
            path = os.path.join(staging, f"input-{number}.pt")
            write_pretrained(source[len(PRETRAINED_PREFIX):], path, to="openai", dtype="fp32")
            unpacked[path] = source
            paths.append(path)
        else:
            paths.append(source)
    out = os.path.join(staging, "merged.pt")
    summary = merge_checkpoints(
        paths, out, weights=recipe.weights, normalize=recipe.normalize, to="openai", dtype=recipe.dtype,
        method=recipe.method, show_progress=True,
    )  # fmt: skip
    provenance = dict(summary.provenance)
    # The staging path and the hash of the intermediate file change from build to build; the archive's
    # own model.pt is recorded (with its sha256) under "files" in sapsoup.json instead.
    provenance["output"] = {k: v for k, v in provenance.get("output", {}).items() if k not in ("path", "files")}
    provenance["output"]["path"] = MODEL_FILE
    for record in provenance.get("inputs", []):
        if record.get("path") in unpacked:  # name the packaged model, not its temporary copy
            record["path"] = unpacked[record["path"]]
            record["files"] = [{k: v for k, v in f.items() if k != "path"} for f in record.get("files", [])]
    return out, provenance


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
def build(recipe, model, out, target, beam_size, postprocess_settings, dtype):
    """Pack a submission ZIP from RECIPE (a TOML file) or from one checkpoint (--model).

    The ZIP runs on the organisers' server as it is, records in sapsoup.json how it was made, and
    is byte-identical when built twice from the same inputs.
    """
    if bool(recipe) == bool(model):
        raise click.UsageError("give either a RECIPE file or --model, not both and not neither")
    try:
        if recipe:
            plan = load_recipe(recipe)
        else:
            plan = model_recipe(model, target or "sapc1", dtype=dtype or "fp16")
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
        check_servable_shapes([c for c in plan.checkpoints if not c.startswith(PRETRAINED_PREFIX)], plan.target)
        folder = os.path.dirname(os.path.abspath(out))
        os.makedirs(folder, exist_ok=True)
        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        )  # fmt: skip
        with tempfile.TemporaryDirectory(prefix=".sapsoup-model-", dir=folder) as staging:
            console.print(f"preparing the model from {len(plan.checkpoints)} checkpoint(s)")
            model_path, provenance = prepare_model(plan, staging)  # a merge shows its own progress bar
            with progress:
                files = build_archive(
                    model_path, out, plan.target, plan.decoding, plan.postprocess, provenance, progress=progress
                )
    except (RecipeError, ArchiveError, CheckpointError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that cannot be written: not a traceback either
        raise click.ClickException(f"{error.filename or out}: {error.strerror or error}") from None
    console.print(files_table(files, title=f"{out} ({plan.target})"))
    click.echo(out)
