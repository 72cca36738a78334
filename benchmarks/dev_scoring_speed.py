"""Utterances per second of dev scoring with tiny.en: batched scorer vs transcribe() vs the encoder alone.

Usage: python benchmarks/dev_scoring_speed.py [--dev DEV --split NAME] [--utterances 24] [--batch-size 8]
                                              [--rounds 2] [--threads N]

All three run in one process on the same dev subset and the same device (the GPU with fp16 when there
is one, else the CPU), one after the other, `--rounds` times, keeping each one's best round (the
machine may be shared). Without --dev a synthetic SAP-style corpus (eSpeak NG speech with
dysarthria-like perturbations) is written and prepared in a temporary folder.

* scorer: `sapsoup.validate.devscore.score_model`, i.e. batched first windows, long-form decoding
  where needed, post-processing and SAPC1 scoring: what `sapsoup select` runs per step;
* transcribe(): openai-whisper's `transcribe()`, file by file, through `decoding.transcribe`;
* encoder alone: the same 30-s log-mel batches through the encoder only. Every utterance needs at
  least one encoder pass over a 30-s window, so this is the floor of exact scoring.

It also checks that the scorer's lines are exactly those of transcribe() + post-processing.
"""

import argparse
import os
import tempfile
import time


def prepare_subset(folder: str, utterances: int) -> str:
    """A synthetic corpus prepared as a dev folder with about `utterances` dev utterances."""
    from sapsoup.corpus import write_corpus
    from sapsoup.validate.devset import prepare_dev

    per_speaker = max(3, (utterances + 1) // 2)
    write_corpus(os.path.join(folder, "sap"), speakers=4, utterances=per_speaker, seed=0)
    prepare_dev(os.path.join(folder, "sap"), os.path.join(folder, "dev"), split="dev")
    return os.path.join(folder, "dev")


def best_of(rounds: int, run):
    best, value = None, None
    for _ in range(rounds):
        started = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", help="a prepared dev folder (default: a synthetic one)")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--utterances", type=int, default=24, help="at most this many utterances of the split")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch

    from sapsoup.builder.pretrained import write_pretrained
    from sapsoup.postprocess import PostprocessOptions
    from sapsoup.submission import decoding
    from sapsoup.validate import devscore

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="sapsoup-bench-") as work:
        dev_dir = args.dev or prepare_subset(work, args.utterances)
        dev = devscore.load_dev(dev_dir, args.split)
        keep = min(args.utterances, len(dev.audios))
        dev.audios = dev.audios[:keep]
        dev.split.entries, dev.split.meta = dev.split.entries[:keep], dev.split.meta[:keep]
        dev.split.ref1, dev.split.ref2 = dev.split.ref1[:keep], dev.split.ref2[:keep]
        model_path = os.path.join(work, "tiny.en.pt")
        write_pretrained("tiny.en", model_path, to="openai", dtype="fp32")
        model = decoding.load_model(model_path)

        device = str(model.device)
        if model.device.type == "cuda":
            device += f" ({torch.cuda.get_device_name(model.device)}, fp16)"
        else:
            device += f" ({torch.get_num_threads()} threads, fp32)"
        seconds_of_audio = sum(len(a) for a in dev.audios) / 16000
        print(f"dev subset: {keep} utterances, {seconds_of_audio:.0f} s of audio, "
              f"{sum(len(a) > 30 * 16000 for a in dev.audios)} over 30 s; device {device}")

        options = devscore.ScoringOptions(batch_size=args.batch_size)
        post = PostprocessOptions()
        spoken = [a for a in dev.audios if not decoding.is_silent(a)]
        dtype = torch.float16 if model.device.type == "cuda" else torch.float32
        order = sorted(spoken, key=len, reverse=True)

        def encoder_only():
            with torch.no_grad():
                for start in range(0, len(order), args.batch_size):
                    batch = torch.stack([decoding.first_window(model, a, dtype) for a in order[start : start + args.batch_size]])
                    model.embed_audio(batch)
                if model.device.type == "cuda":
                    torch.cuda.synchronize()

        def one_by_one():
            raw = [decoding.transcribe(model, a) if not decoding.is_silent(a) else "" for a in dev.audios]
            return devscore.score_lines([devscore.finish_line(r, post) for r in raw], dev)

        encoder_only()  # warm-up: first-call costs (mel filters, kernels) belong to nobody
        encoder_s, _ = best_of(args.rounds, encoder_only)
        scorer_s, scored = best_of(args.rounds, lambda: devscore.score_model(model, dev, options))
        single_s, single = best_of(args.rounds, one_by_one)

        rows = [
            ("batched scorer (decode+postprocess+score)", scorer_s),
            ("openai-whisper transcribe(), file by file", single_s),
            ("encoder alone, same batches (floor)", encoder_s),
        ]
        print(f"{'path':46} {'seconds':>8} {'utt/s':>7} {'x floor':>8}")
        for name, seconds in rows:
            print(f"{name:46} {seconds:8.2f} {keep / seconds:7.2f} {seconds / encoder_s:8.2f}")
        print(f"scorer vs transcribe(): {single_s / scorer_s:.2f}x faster; scorer / floor = {scorer_s / encoder_s:.2f} "
              f"(target <= 1.15 on CPU)")
        same = scored.hypotheses == single.hypotheses
        print(f"WER: scorer {scored.wer:.2f}%, transcribe() {single.wer:.2f}%; identical lines: {same}")
        if not same:
            raise SystemExit("the batched scorer's lines differ from transcribe()'s")


if __name__ == "__main__":
    main()
