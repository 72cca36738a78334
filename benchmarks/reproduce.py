"""The paper's comparison on the demo data: frozen model, single runs, MAST, MAcT, SMAcT, greedy soup.

Usage (after `make submission`, which leaves the corpus, dev subset and runs under work/):
    python benchmarks/reproduce.py [--runs work/runs] [--dev work/dev] [--out benchmarks/reproduce.json]

Every model is scored by the same exact dev scorer that `sapsoup select` uses (batched openai-whisper
decoding, the submission's post-processing, the SAPC1 WER rules: `devscore.load_dev` defaults to the sapc1 edition), on the same dev subset, with
greedy decoding and weights rounded to fp16 as the archive ships them. Single-checkpoint scores are
cached, so a second run only scores the merges.

Rows:
- frozen: the pretrained tiny.en, not fine-tuned;
- run-k best: the best checkpoint (lowest dev WER) of each fine-tuning run;
- MAST: the uniform mean of every checkpoint of the run with the best single checkpoint;
- MAcT: the uniform mean of the best checkpoint of every run;
- SMAcT: the paper's Algorithm 1 over those best checkpoints, in run order;
- greedy soup: the same scan after sorting the best checkpoints by their own WER.
The curve is the WER of the MAcT prefix means (1, 2, ... best checkpoints, in run order).
"""

import argparse
import json
import os
import sys
import tempfile
import time



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default="work/runs")
    parser.add_argument("--dev", default="work/dev")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--cache-dir", default="work/score-cache")
    parser.add_argument("--out", default="benchmarks/reproduce.json")
    args = parser.parse_args()

    from sapsoup.builder import select as selection
    from sapsoup.builder.checkpoints import open_checkpoint, read_arrays
    from sapsoup.builder.sources import run_checkpoints
    from sapsoup.builder.merge import RunningSum
    from sapsoup.builder.pretrained import open_pretrained
    from sapsoup.builder import layout
    from sapsoup.validate import devscore

    started = time.perf_counter()
    dev = devscore.load_dev(args.dev, args.split)
    options = devscore.ScoringOptions(weights_dtype="fp16")
    evaluator = devscore.DevEvaluator(dev, options, devscore.ScoreCache(args.cache_dir))
    rows = []

    def row(name, result, members):
        rows.append({"model": name, "wer": result.wer, "wer_long": result.wer_long, "members": members})
        print(f"{name:<28} WER {result.wer:6.2f}   >=30 s {result.wer_long if result.wer_long is not None else float('nan'):6.2f}", flush=True)

    def mean_of(checkpoints):
        running = RunningSum(checkpoints[0].shape)
        for checkpoint in checkpoints:
            running.add(checkpoint, 1.0 / len(checkpoints))
        return running.result()

    frozen = open_pretrained("tiny.en")
    with read_arrays(frozen) as get:
        tensors = {n: get(n).astype("float32") for n in layout.canonical_names(frozen.shape)}
    row("frozen tiny.en", evaluator.evaluate(frozen.shape, tensors, "frozen"), ["pretrained:tiny.en"])

    runs = sorted(os.path.join(args.runs, d) for d in os.listdir(args.runs) if d.startswith("run-"))
    best, per_run = [], {}
    for run in runs:
        checkpoints = [open_checkpoint(p) for p in run_checkpoints(run)]
        scored = [(evaluator.evaluate_single(c), c) for c in checkpoints]
        per_run[run] = scored
        result, checkpoint = min(scored, key=lambda item: item[0].wer)
        best.append(checkpoint)
        row(f"{os.path.basename(run)} best (step {checkpoint.step})", result, [checkpoint.path])
        for single, candidate in scored:
            print(f"    step {candidate.step:>4}: WER {single.wer:6.2f}")

    best_run = min(per_run, key=lambda r: min(s.wer for s, _ in per_run[r]))
    trajectory = [c for _, c in per_run[best_run]]
    row(f"MAST ({os.path.basename(best_run)}, {len(trajectory)} ckpts)", evaluator.evaluate(trajectory[0].shape, mean_of(trajectory), "MAST"),
        [c.path for c in trajectory])
    row(f"MAcT ({len(best)} runs)", evaluator.evaluate(best[0].shape, mean_of(best), "MAcT"), [c.path for c in best])

    curve = []
    for k in range(1, len(best) + 1):
        result = evaluator.evaluate(best[0].shape, mean_of(best[:k]), f"MAcT first {k}") if k > 1 else evaluator.evaluate_single(best[0])
        curve.append({"models": k, "wer": result.wer, "wer_long": result.wer_long})

    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("smact", "greedy"):
            trace, _ = selection.select([c.path for c in best], strategy, evaluator, evaluator.settings(),
                                        os.path.join(tmp, f"{strategy}.json"))
            final = trace.steps[-1]
            kept = trace.selected
            rows.append({"model": f"{strategy} ({len(kept)} kept)", "wer": trace.wer,
                         "wer_long": next((s.rate_long for s in reversed(trace.steps) if s.ensemble == kept), final.rate_long),
                         "members": kept})
            print(f"{rows[-1]['model']:<28} WER {trace.wer:6.2f}   >=30 s {rows[-1]['wer_long'] or float('nan'):6.2f}")

    print("\nWER as more models are merged (MAcT prefix means, run order):")
    for point in curve:
        print(f"  {point['models']} model(s): WER {point['wer']:6.2f}   >=30 s {point['wer_long'] if point['wer_long'] is not None else float('nan'):6.2f}")
    print(f"\n{len(dev.audios)} dev utterances, {sum(1 for d in dev.durations if d >= 30)} of 30 s or more; "
          f"{evaluator.decoded} dev passes, {evaluator.cached} from the cache, {time.perf_counter() - started:.0f} s")
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"rows": rows, "curve": curve, "utterances": len(dev.audios)}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
