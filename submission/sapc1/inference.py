#!/usr/bin/env python3
"""SAPC1 inference: transcribe every utterance of a split's manifest, one output line each.

Run by the organisers' server as
    python ROOT/inference.py --root ROOT --split SPLIT --output-name ROOT/inference/SPLIT.hypo
with the data and manifest folders left at their defaults. The manifest is wav2vec style: a first line
naming a root folder (ignored: the audio is read from DATA/SPLIT/<basename>), then
`relative/path.wav<TAB>n_frames` per utterance. The output has exactly one line per manifest entry, in
manifest order, because the scorer pairs lines by position: a file that cannot be transcribed gives
an empty line and a warning on stderr. The decoding and post-processing settings are read from the
archive's `sapsoup.json`, the record of how this archive was built, so what is recorded is what runs.

Written by sapsoup; needs only the files beside it and the packages pinned in run.sh.
"""

import argparse
import json
import os
import sys

# The archive root holds `decoding.py` and the `postprocess` package; put it first on the path so
# that a same-named module elsewhere on the server cannot shadow them.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tqdm import tqdm  # noqa: E402  (installed with openai-whisper)

import decoding  # noqa: E402
from postprocess import PostprocessOptions, postprocess  # noqa: E402

# Files are read CHUNK at a time (the audio of a whole split may not fit in memory) and decoded in
# batches of BATCH_SIZE; a batch gives the same text as one file at a time (decoding.transcribe_many).
CHUNK = 64
BATCH_SIZE = 8
RAW_OUTPUT_VARIABLE = "SAPSOUP_RAW_OUTPUT"  # also write the transcripts before post-processing here


def warn(message: str) -> None:
    """A warning on its own stderr line, above the progress bar rather than glued to it."""
    tqdm.write(f"WARNING: {message}", file=sys.stderr)


def get_parser() -> argparse.ArgumentParser:
    """The organisers' arguments and defaults; --root defaults to this script's folder (the archive
    root), since the organisers' own default is a placeholder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-pth", default="/taiga/data/processed", metavar="DATA_PTH")
    parser.add_argument("--manifest-pth", default="/taiga/manifest", metavar="MANIFEST_PTH")
    parser.add_argument("--root", default=HERE, metavar="ROOT")
    parser.add_argument("--split", default="test1", metavar="SPLIT")
    parser.add_argument(
        "--output-name", default=None, metavar="OUTPUT-NAME", help="default: ROOT/inference/SPLIT.hypo"
    )
    return parser


def read_manifest(path: str) -> list:
    """The audio file names of a wav2vec-style manifest, one per utterance, in order.

    Blank lines at the end of the file are not utterances; a blank line between entries is kept as
    an entry with no file, so that the output still has one line per manifest line.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise SystemExit(f"{path}: cannot read the manifest ({error.strerror})") from None
    if not lines:
        raise SystemExit(f"{path}: empty manifest (not even the root-folder line)")
    entries = lines[1:]
    while entries and not entries[-1].strip():
        entries.pop()
    return [entry.split("\t")[0].strip() for entry in entries]


def read_settings(root: str) -> dict:
    """The build's decoding and post-processing settings from ROOT/sapsoup.json."""
    with open(os.path.join(root, "sapsoup.json"), encoding="utf-8") as handle:
        return json.load(handle)


def write_lines(path: str, lines: list) -> None:
    """Write all lines at once through a temporary file, so a crash never leaves a short file
    that the server would take for finished output."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{os.path.basename(path)}.partial")
    with open(partial, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def finish(raw: str, options, name: str) -> str:
    """Post-process one transcript into one line; a failure costs that line, not the run."""
    if not raw:
        return ""
    try:
        return " ".join(postprocess(raw, options).split())
    except Exception as error:
        warn(f"{name}: post-processing failed ({type(error).__name__}: {error}); writing an empty line")
        return ""


def main(args) -> None:
    root = os.path.abspath(args.root)
    output_name = args.output_name or os.path.join(root, "inference", f"{args.split}.hypo")
    settings = read_settings(root)
    beam_size = settings["decoding"]["beam_size"]
    length_penalty = settings["decoding"]["length_penalty"]
    options = PostprocessOptions.from_dict(settings["postprocess"])

    names = read_manifest(os.path.join(args.manifest_pth, f"{args.split}.tsv"))
    model = decoding.load_model(os.path.join(root, "model.pt"))
    print(f"sapsoup inference: {len(names)} utterances of {args.split} on {model.device}", file=sys.stderr)

    raw_lines, lines = [], []
    with tqdm(total=len(names), desc=args.split, unit="utt", file=sys.stderr) as bar:
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            paths = []
            for number, name in enumerate(chunk, start=start + 2):
                if not name:
                    warn(f"manifest line {number} names no file; writing an empty line")
                paths.append(os.path.join(args.data_pth, args.split, os.path.basename(name)) if name else None)
            raw_chunk = decoding.transcribe_files(
                model, paths, beam_size, length_penalty, batch_size=BATCH_SIZE, on_warning=warn, on_done=bar.update
            )
            for name, raw in zip(chunk, raw_chunk):
                raw_lines.append(raw)
                lines.append(finish(raw, options, name))

    write_lines(output_name, lines)
    raw_output = os.environ.get(RAW_OUTPUT_VARIABLE)
    if raw_output:
        write_lines(raw_output, raw_lines)


if __name__ == "__main__":
    main(get_parser().parse_args())
