"""Early rejection in `sapsoup select`: the same selection, decoding less, measured side by side.

Usage: python benchmarks/early_rejection.py [--runs work/runs] [--utterances 24] [--target sapc1,sapc2]
                                            [--strategy smact] [--batch-size 4] [--snr 10] [--workdir DIR]

How much early rejection saves depends on the rates: a trial is stopped once its errors so far,
over everything the dev set could still add, reach the best rate, so a trial twice as bad as the
best stops after about half of the dev set, and one with a rate near the best is decoded almost
whole. Noisy speech (a high best rate) saves less than clean speech.

Candidate sets:
* demo: the fine-tuned checkpoints of `make submission` (work/runs; every checkpoint of every run,
  or its last --last, in run order), when that folder exists;
* noisy tiny.en: 8 candidates of falling quality, the real tiny.en with Gaussian noise of growing
  size added to every weight matrix (candidate k: k x 8% of each tensor's standard deviation, 0
  for the first).

The dev set is eSpeak NG speech of everyday sentences with noise added (--snr, 10 dB), written in the
layout of `sapsoup dev prepare` with both editions' references. For each set and target the same
selection runs twice in one process, with fresh scorers and no score cache: with early rejection
(the default) and with full passes (`early_stop=False`). The table gives the utterances and audio
seconds decoded and the wall time of each, and checks that both kept the same models with the same
rate.
"""

import argparse
import os
import sys
import tempfile
import time

SENTENCES = [
    "The weather is nice today.", "Please turn on the kitchen lights.", "She reads a book every night before bed.",
    "We walked along the river in the morning.", "Set a timer for twenty minutes.", "Call my sister on her mobile phone.",
    "The children played football in the park after school.", "My doctor said I should drink more water.",
    "Remind me to take my medicine at eight o'clock.", "The train to the city leaves from platform four.",
    "I would like a cup of tea with milk and honey.", "Our neighbours painted their front door bright red.",
    "What is the capital city of Australia?", "He fixed the old bicycle in the garage last weekend.",
    "Turn the volume down on the television.", "Grandmother baked an apple pie for the family dinner.",
    "The library closes early on Sundays.", "Add eggs, bread and butter to my shopping list.",
    "A small dog barked at the postman this morning.", "Please send a message to the plumber about the leak.",
    "The museum has a new exhibition about ancient Egypt.", "How long does it take to drive to the airport?",
    "We planted tomatoes and beans in the garden.", "Open the curtains in the living room.",
]
NOISE_STEP = 0.08  # candidate k gets noise of k x this x each tensor's standard deviation
SNR_DB = 10.0


def write_dev(folder, count, snr_db=SNR_DB):
    """A dev folder of `count` noisy eSpeak utterances with SAPC1 and SAPC2 references."""
    import csv
    from pathlib import Path

    import numpy as np
    import soundfile

    from sapsoup.demo.speech import add_noise, synthesize_clean
    from sapsoup.editions import sapc1, sapc2_normalizer

    sentences = SENTENCES[:count]
    if len(sentences) < count:
        raise SystemExit(f"only {len(SENTENCES)} sentences; ask for fewer --utterances")
    folder = Path(folder)
    (folder / "manifest").mkdir(parents=True)
    (folder / "data" / "dev").mkdir(parents=True)
    rng = np.random.default_rng(0)
    tsv, ref1, ref2 = [str(folder / "data" / "dev")], [], []
    meta = ["id\tspeaker\tetiology\tcategory\tduration"]
    rows = [["id", "audio_filepath", "norm_text_with_disfluency", "norm_text_without_disfluency"]]
    for index, text in enumerate(sentences):
        audio = add_noise(synthesize_clean(text), snr_db, rng).astype(np.float32)
        name = f"u{index:03d}"
        soundfile.write(folder / "data" / "dev" / f"{name}.wav", audio, 16000, subtype="PCM_16")
        tsv.append(f"dev/{name}.wav\t{len(audio)}")
        ref1.append(sapc1.reference(text, remove_parentheses=False))
        ref2.append(sapc1.reference(text, remove_parentheses=True))
        meta.append(f"{name}\tS1\tParkinson's Disease\tNovel Sentences\t{len(audio) / 16000:.3f}")
        rows.append([name, f"dev/{name}.wav", sapc2_normalizer.reference(text, False),
                     sapc2_normalizer.reference(text, True)])
    for suffix, lines in ((".tsv", tsv), (".ref1", ref1), (".ref2", ref2), (".meta.tsv", meta)):
        (folder / "manifest" / f"dev{suffix}").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    with open(folder / "manifest" / "dev.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return folder


def noisy_candidates(folder, count):
    """tiny.en plus Gaussian noise of growing size: candidates of falling quality."""
    import numpy as np

    from sapsoup.builder import layout
    from sapsoup.builder.checkpoints import open_checkpoint, read_arrays
    from sapsoup.builder.merge import write_merged
    from sapsoup.builder.pretrained import write_pretrained

    base = os.path.join(folder, "tiny.en.pt")
    write_pretrained("tiny.en", base, to="openai", dtype="fp32")
    checkpoint = open_checkpoint(base)
    with read_arrays(checkpoint) as get:
        tensors = {name: get(name).astype(np.float32) for name in layout.canonical_names(checkpoint.shape)}
    paths = [base]
    rng = np.random.default_rng(1)
    for k in range(1, count):
        noisy = {}
        for name, array in tensors.items():
            if array.ndim >= 2 and "embed_positions" not in name:
                array = array + rng.standard_normal(array.shape, dtype=np.float32) * (k * NOISE_STEP * float(array.std()))
            noisy[name] = array
        path = os.path.join(folder, f"tiny.en-noise{k}.pt")
        write_merged(path, "openai", "fp32", noisy, [checkpoint], [1.0], {"method": "noise", "normalized": True})
        paths.append(path)
    return paths


def run_once(paths, dev, strategy, early_stop, trace_path, batch_size):
    from sapsoup.builder import select as selection
    from sapsoup.validate import devscore

    evaluator = devscore.DevEvaluator(dev, devscore.ScoringOptions(batch_size=batch_size), None, device="cpu")
    started = time.perf_counter()
    trace, _ = selection.select(paths, strategy, evaluator, evaluator.settings(), trace_path, early_stop=early_stop)
    return trace, evaluator, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default="work/runs")
    parser.add_argument("--sets", default="demo,noisy", help="candidate sets to run: demo, noisy or both")
    parser.add_argument("--last", type=int, help="take only the last K checkpoints of each demo run")
    parser.add_argument("--utterances", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=4, help="utterances decoded side by side; a chunk between checks")
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--target", default="sapc1", help="comma-separated editions")
    parser.add_argument("--strategy", default="smact")
    parser.add_argument("--snr", type=float, default=SNR_DB, help="dB of noise added to the dev speech")
    parser.add_argument("--workdir")
    args = parser.parse_args()

    from sapsoup.builder.sources import expand_sources
    from sapsoup.validate import devscore

    work = args.workdir or tempfile.mkdtemp(prefix="early-rejection-")
    dev_dir = write_dev(os.path.join(work, "dev"), args.utterances, args.snr)
    sets = []
    wanted = args.sets.split(",")
    if "demo" not in wanted:
        pass
    elif os.path.isdir(args.runs):
        sets.append(("demo runs", expand_sources([os.path.join(args.runs, d) for d in sorted(os.listdir(args.runs))
                                                  if d.startswith("run-")], last=args.last)))
    else:
        print(f"{args.runs}: absent (run `make submission` for the demo's candidates); noisy tiny.en only")
    if "noisy" in wanted:
        os.makedirs(os.path.join(work, "noisy"), exist_ok=True)
        sets.append((f"noisy tiny.en x{args.candidates}", noisy_candidates(os.path.join(work, "noisy"), args.candidates)))

    header = (f"{'candidates':<20} {'target':<6} {'mode':<16} {'passes':>6} {'stopped':>7} {'utts':>9} "
              f"{'audio s':>15} {'ratio':>6} {'wall s':>7} {'kept':>5} {'rate %':>7}")
    lines = [header, "-" * len(header)]
    for target in args.target.split(","):
        dev = devscore.load_dev(dev_dir, "dev", target)
        for name, paths in sets:
            results = {}
            for mode, early in (("full passes", False), ("early rejection", True)):
                trace_path = os.path.join(work, f"{target}-{name.split()[0]}-{early}.json")
                results[mode] = run_once(paths, dev, args.strategy, early, trace_path, args.batch_size)
            full_audio = results["full passes"][1].audio_seconds
            for mode, (trace, evaluator, wall) in results.items():
                lines.append(
                    f"{name:<20} {target:<6} {mode:<16} {evaluator.decoded:>6} {evaluator.rejected:>7} "
                    f"{evaluator.utterances_decoded:>4}/{evaluator.full_utterances:<4} "
                    f"{evaluator.audio_seconds:>7.1f}/{evaluator.full_audio_seconds:<7.1f} "
                    f"{evaluator.audio_seconds / full_audio:>6.2f} {wall:>7.1f} {len(trace.selected):>5} {trace.rate:>7.2f}"
                )
                print(lines[-1], flush=True)
            full, early = results["full passes"][0], results["early rejection"][0]
            same = ([s.decision for s in full.steps] == [s.decision for s in early.steps]
                    and full.selected == early.selected and full.rates == early.rates)
            lines.append(f"{'':<20} {target:<6} same decisions, kept models and rates: {'yes' if same else 'NO'}")
            print(lines[-1], flush=True)
            if not same:
                sys.exit(1)
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
