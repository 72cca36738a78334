"""Peak memory and wall time of merging N base-sized Whisper checkpoints: sapsoup vs a naive script.

Usage: python benchmarks/merge_memory.py [--sizes 2,4,8] [--rounds 3] [--workdir DIR] [--mergekit PATH]
                                         [--to hf|openai]

Each merge runs in a fresh Python process so its peak RSS (ru_maxrss of that child) is its own.
The inputs are random Whisper-base-shaped Hugging Face folders (fp32 safetensors, as a Trainer
saves them). The naive script is what many training repos ship: load every state dict, then
average. With `--to openai` both write an fp16 `.pt` file (sapsoup's default for `.pt` outputs; it
then needs torch for `torch.save`) and mergekit is not run. `mergekit-pytorch` (linear merge of the safetensors files, float32) is measured too when
it is on PATH or given with --mergekit; it installs beside torch==2.13.0 in a separate venv:
`python3 -m venv /tmp/mk && /tmp/mk/bin/pip install torch==2.13.0 mergekit`. The benchmark also
prints the largest difference between sapsoup's and mergekit's results.

sapsoup also writes merge.json with the sha256 of every input, which the naive script does not
compute. It is measured twice: "cold", with an empty digest cache (every input is hashed, as on
the first merge of new checkpoints), and "warm", with the inputs' digests already remembered (a
re-merge of the same checkpoints, as soups and selection do; see builder/hashing.py).
The floor is the time to read the inputs from the page cache: `cat` of every input file to
/dev/null, measured in the same rounds; sapsoup's ratio to it says how much of a merge is more than
reading its inputs. Wall times depend on what else runs on the machine (the load averages before
and after are printed), so the spread over the rounds (min-max) is printed beside the best.
Contenders run one after the other within each round, each writing to a new path with the inputs
in the page cache and no earlier output still being written back to disk; each keeps its best of
`--rounds`, since the machine may be shared.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

BASE = dict(
    n_mels=80, n_vocab=51865, d_model=512, encoder_layers=6, decoder_layers=6, encoder_heads=8,
    decoder_heads=8, encoder_ffn=2048, decoder_ffn=2048, n_audio_ctx=1500, n_text_ctx=448,
)

NAIVE = r"""
import sys, torch
from safetensors.torch import load_file, save_file
paths, out = sys.argv[1:-1], sys.argv[-1]
states = [load_file(p + "/model.safetensors") for p in paths]
merged = {k: sum(s[k].float() for s in states) / len(states) for k in states[0]}
if out.endswith(".pt"):  # the openai-whisper case: fp16, as sapsoup writes it by default
    torch.save({k: v.half() for k, v in merged.items()}, out)
else:
    save_file(merged, out)
"""


def make_inputs(folder, count):
    import torch
    from safetensors.torch import save_file

    from sapsoup.builder import layout
    from sapsoup.builder.convert import hf_config

    import json

    from sapsoup.builder.tokenizer import write_processor

    shape = layout.WhisperShape(**BASE)
    processor = os.path.join(folder, "processor")
    os.makedirs(processor, exist_ok=True)
    write_processor(processor, shape)  # real checkpoints carry their processor files; so do these
    paths = []
    for i in range(count):
        path = os.path.join(folder, f"ckpt-{i}")
        shutil.copytree(processor, path)
        generator = torch.Generator().manual_seed(i)
        state = {n: torch.randn(s, generator=generator) * 0.02 for n, s in layout.canonical_shapes(shape).items()}
        save_file(state, os.path.join(path, "model.safetensors"))
        with open(os.path.join(path, "config.json"), "w") as handle:
            json.dump(hf_config(shape), handle)
        paths.append(path)
    return paths


def warm(paths):
    """Read the inputs once so that every contender starts with them in the page cache, and flush
    the outputs written before it (otherwise their write-back to disk slows whoever runs next)."""
    for path in paths:
        for name in os.listdir(path):
            with open(os.path.join(path, name), "rb") as handle:
                while handle.read(1 << 24):
                    pass
    os.sync()


def remove(path):
    """Delete a previous output, so that every contender writes to a new path."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def measure(command, inputs, env=None):
    """Run a command in a child process; return (seconds, peak RSS in MB of that child)."""
    warm(inputs)
    started = time.perf_counter()
    wrapper = [sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"] + command
    result = subprocess.run(wrapper, check=True, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    peak_kb = int(result.stdout.strip().splitlines()[-1])
    return seconds, peak_kb / 1024


def difference(sapsoup_out, mergekit_out):
    """The largest absolute difference between two merge results, over every tensor."""
    from safetensors.torch import load_file

    ours = load_file(os.path.join(sapsoup_out, "model.safetensors"))
    theirs = load_file(os.path.join(mergekit_out, "model.safetensors"))
    return max(float((ours[name] - theirs[name]).abs().max()) for name in ours)


def spread(measurements) -> str:
    times = [t for t, _ in measurements]
    return f"{min(times):.2f}-{max(times):.2f}"


def input_files(paths):
    return [os.path.join(path, name) for path in paths for name in sorted(os.listdir(path))]


def best(measurements):
    """The fastest run, with the highest peak RSS seen (memory does not vary with luck)."""
    return min(t for t, _ in measurements), max(m for _, m in measurements)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2,4,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir")
    parser.add_argument("--mergekit", default=shutil.which("mergekit-pytorch"), help="mergekit-pytorch executable")
    parser.add_argument("--to", choices=["hf", "openai"], default="hf", help="output format of sapsoup and the naive script")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()
    workdir = args.workdir or tempfile.mkdtemp(prefix="sapsoup-bench-")
    inputs = make_inputs(workdir, max(sizes))
    sapsoup = shutil.which("sapsoup") or os.path.join(os.path.dirname(sys.executable), "sapsoup")
    mergekit = args.mergekit if args.to == "hf" else None
    suffix = ".hf" if args.to == "hf" else ".pt"
    largest_difference = None
    cache = os.path.join(workdir, "digest-cache")
    env = {**os.environ, "SAPSOUP_CACHE_DIR": cache}
    rows = []
    for n in sizes:
        chosen = inputs[:n]
        out = os.path.join(workdir, f"out-{n}")
        runs = {"naive": [], "cold": [], "warm": [], "mergekit": [], "cat": []}
        sapsoup_merge = [sapsoup, "merge", *chosen, "-o", out + suffix, "--to", args.to]
        naive_out = out + (".naive.safetensors" if args.to == "hf" else ".naive.pt")
        for _ in range(args.rounds):
            runs["cat"].append(measure(["sh", "-c", 'cat "$@" > /dev/null', "cat", *input_files(chosen)], chosen))
            remove(naive_out)
            runs["naive"].append(measure([sys.executable, "-c", NAIVE, *chosen, naive_out], chosen))
            shutil.rmtree(cache, ignore_errors=True)
            for kind in ("cold", "warm"):  # the cold run fills the digest cache for the warm one
                remove(out + suffix)
                remove(out + ".merge.json")
                runs[kind].append(measure(sapsoup_merge, chosen, env))
            if mergekit:
                remove(out + ".mergekit")
                config = os.path.join(workdir, f"mergekit-{n}.yml")
                with open(config, "w") as handle:
                    handle.write("merge_method: linear\nmodels:\n")
                    for path in chosen:
                        handle.write(f"  - model: {path}/model.safetensors\n    parameters:\n      weight: 1.0\n")
                    handle.write("dtype: float32\n")
                try:
                    runs["mergekit"].append(measure([mergekit, config, out + ".mergekit"], chosen))
                except subprocess.CalledProcessError:
                    pass
        if runs["mergekit"]:
            largest_difference = max(largest_difference or 0.0, difference(out + ".hf", out + ".mergekit"))
        rows.append({"n": n, **{k: best(v) for k, v in runs.items() if v},
                     "spread": {k: spread(v) for k, v in runs.items() if v}})
        for name in os.listdir(workdir):
            if name.startswith(f"out-{n}"):
                remove(os.path.join(workdir, name))

    load_after = os.getloadavg()
    written = "a Hugging Face folder" if args.to == "hf" else "an fp16 openai-whisper .pt"
    print(f"Merging N random Whisper-base checkpoints (fp32 safetensors, 290 MB each) into {written}; "
          f"{os.cpu_count()} CPU cores; best of {args.rounds} rounds")
    header = (f"{'N':>3} | {'naive RSS MB':>12} {'s':>5} | {'sapsoup RSS MB':>14} {'cold s':>6} {'warm s':>6} | "
              f"{'RSS ratio':>9} {'cold/naive':>10} {'warm/naive':>10}")
    if mergekit:
        header += f" | {'mergekit RSS MB':>15} {'s':>5}"
    print(header)
    for row in rows:
        (tn, mn), (tc, mc), (tw, mw) = row["naive"], row["cold"], row["warm"]
        ms = max(mc, mw)
        line = (f"{row['n']:>3} | {mn:>12.0f} {tn:>5.2f} | {ms:>14.0f} {tc:>6.2f} {tw:>6.2f} | "
                f"{ms / mn:>9.2f} {tc / tn:>10.2f} {tw / tn:>10.2f}")
        if mergekit:
            line += f" | {row['mergekit'][1]:>15.0f} {row['mergekit'][0]:>5.2f}" if "mergekit" in row else " | failed"
        print(line)
    print(f"\nthe floor: reading the inputs from the page cache (cat), and sapsoup's ratio to it; min-max over "
          f"{args.rounds} rounds; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"{'N':>3} | {'cat s':>6} {'(min-max)':>11} | {'cold s':>6} {'(min-max)':>11} | {'warm s':>6} {'(min-max)':>11} | "
          f"{'cold/cat':>8} {'warm/cat':>8}")
    for row in rows:
        (tf, _), (tc, _), (tw, _) = row["cat"], row["cold"], row["warm"]
        print(f"{row['n']:>3} | {tf:>6.2f} {row['spread']['cat']:>11} | {tc:>6.2f} {row['spread']['cold']:>11} | "
              f"{tw:>6.2f} {row['spread']['warm']:>11} | {tc / tf:>8.1f} {tw / tf:>8.1f}")
    first, last = max(rows[0]["cold"][1], rows[0]["warm"][1]), max(rows[-1]["cold"][1], rows[-1]["warm"][1])
    print(f"sapsoup peak RSS at N={rows[-1]['n']} / N={rows[0]['n']}: {last / first:.3f} (target <= 1.15)")
    if largest_difference is not None:
        print(f"largest |sapsoup - mergekit| over all tensors and N: {largest_difference:.3g}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
