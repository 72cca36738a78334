"""Utterances per second of dev scoring with tiny.en: batched scorer vs transcribe() vs the encoder alone.

Usage: python benchmarks/dev_scoring_speed.py [--dev DEV --split NAME] [--utterances 24] [--batch-size 8]
                                              [--beam-size N] [--rounds 2] [--threads N]

All contenders run in one process on the same dev subset and the same device (the GPU with fp16 when
there is one, else the CPU), one after the other, `--rounds` times, keeping each one's best round
(the machine may be shared). Without --dev a synthetic SAP-style corpus (eSpeak NG speech with
dysarthria-like perturbations) is written and prepared in a temporary folder.

* scorer: `sapsoup.validate.devscore.score_model`, i.e. `decoding.transcribe_many` (every
  utterance's own long-form transcribe loop, their windows decoded in batches), post-processing and
  SAPC1 scoring: what `sapsoup select` runs per step;
* transcribe(): openai-whisper's `transcribe()`, file by file, through `decoding.transcribe`;
* encoder alone: the log-mel and one encoder pass of every utterance's first 30-s window, one window
  at a time and in batches of --batch-size. Every utterance needs at least that, so the faster of
  the two is the floor of exact scoring.

A last, untimed scorer run with hooks on the encoder and decoder says where the scorer's time goes:
encoder windows per utterance (long-form decoding needs a further window for an utterance over 30 s,
or whose first window ends in an unfinished segment), decoder steps and rows. It also checks that the
scorer's lines are exactly those of transcribe() + post-processing.
"""

import argparse
import os
import tempfile
import time


def prepare_subset(folder: str, utterances: int) -> str:
    """A synthetic corpus prepared as a dev folder with about `utterances` dev utterances."""
    from sapsoup.demo.corpus import write_corpus
    from sapsoup.validate.devset import prepare_dev

    per_speaker = max(3, (utterances + 1) // 2)
    write_corpus(os.path.join(folder, "sap"), speakers=4, utterances=per_speaker, seed=0)
    prepare_dev(os.path.join(folder, "sap"), os.path.join(folder, "dev"), split="dev")
    return os.path.join(folder, "dev")


def first_window(model, audio, dtype):
    """The log-mel of the first 30-s window exactly as `whisper.transcribe` builds it.

    The log-mel of the audio followed by 30 s of zeros, cut to the audio's own frames and padded with
    zeros in the log-mel domain (`pad_or_trim` on the audio gives another input).
    """
    import numpy as np
    from whisper.audio import N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim

    mel = log_mel_spectrogram(np.ascontiguousarray(audio, dtype=np.float32), model.dims.n_mels, padding=N_SAMPLES)
    content_frames = mel.shape[-1] - N_FRAMES
    return pad_or_trim(mel[:, : min(N_FRAMES, content_frames)], N_FRAMES).to(model.device).to(dtype)


def best_of(rounds: int, run):
    best, value = None, None
    for _ in range(rounds):
        started = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return best, value


def breakdown(model, run) -> dict:
    """Run `run()` once, timing the encoder passes and the decoder steps: where the time goes.

    The encoder is timed by forward hooks; the decoder by wrapping `decoding._RowInference.logits`
    (one call per step of a batch of windows) for this run only.
    """
    import torch

    from sapsoup.submission import decoding

    counts = {"encoder_s": 0.0, "windows": 0, "decoder_s": 0.0, "steps": 0, "rows": 0}
    started = []

    def sync():
        if model.device.type == "cuda":
            torch.cuda.synchronize()

    def before(module, args):
        sync()
        started.append(time.perf_counter())

    def after(module, args, output):
        sync()
        counts["encoder_s"] += time.perf_counter() - started.pop()
        counts["windows"] += args[0].shape[0]

    logits = decoding._RowInference.logits

    def timed_logits(inference, tokens, audio_features):
        sync()
        begin = time.perf_counter()
        out = logits(inference, tokens, audio_features)
        sync()
        counts["decoder_s"] += time.perf_counter() - begin
        counts["steps"] += 1
        counts["rows"] += tokens.shape[0]
        return out

    hooks = [model.encoder.register_forward_pre_hook(before), model.encoder.register_forward_hook(after)]
    decoding._RowInference.logits = timed_logits
    started_all = time.perf_counter()
    try:
        run()
    finally:
        decoding._RowInference.logits = logits
        for hook in hooks:
            hook.remove()
    counts["total_s"] = time.perf_counter() - started_all
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", help="a prepared dev folder (default: a synthetic one)")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--utterances", type=int, default=24, help="at most this many utterances of the split")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--beam-size", type=int, help="beam search with this many beams (default: greedy)")
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
        # the first `keep` utterances of everything the scorer reads per utterance
        for name in ("audios", "ref1", "ref2", "bounds", "silent"):
            setattr(dev, name, getattr(dev, name)[:keep])
        dev.split.entries, dev.split.meta = dev.split.entries[:keep], dev.split.meta[:keep]
        model_path = os.path.join(work, "tiny.en.pt")
        write_pretrained("tiny.en", model_path, to="openai", dtype="fp32")
        model = decoding.load_model(model_path)

        device = str(model.device)
        if model.device.type == "cuda":
            device += f" ({torch.cuda.get_device_name(model.device)}, fp16)"
        else:
            device += f" ({torch.get_num_threads()} threads, fp32)"
        seconds_of_audio = sum(len(a) for a in dev.audios) / 16000
        decoding_name = f"beam search, {args.beam_size} beams" if args.beam_size else "greedy"
        print(f"dev subset: {keep} utterances, {seconds_of_audio:.0f} s of audio, "
              f"{sum(len(a) > 30 * 16000 for a in dev.audios)} over 30 s; {decoding_name}; device {device}")

        options = devscore.ScoringOptions(decoding.DecodingSettings(beam_size=args.beam_size), batch_size=args.batch_size)
        post = PostprocessOptions()
        spoken = [a for a in dev.audios if not decoding.is_silent(a)]
        dtype = torch.float16 if model.device.type == "cuda" else torch.float32
        order = sorted(spoken, key=len, reverse=True)

        def encoder_only(batch_size):
            with torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    batch = torch.stack([first_window(model, a, dtype) for a in order[start : start + batch_size]])
                    model.embed_audio(batch)
                if model.device.type == "cuda":
                    torch.cuda.synchronize()

        def one_by_one():
            raw = [decoding.transcribe(model, a, args.beam_size) if not decoding.is_silent(a) else ""
                   for a in dev.audios]
            return devscore.score_lines([devscore.finish_line(r, post) for r in raw], dev)

        encoder_only(1)  # warm-up: first-call costs (mel filters, kernels) belong to nobody
        encoder_one_s, _ = best_of(args.rounds, lambda: encoder_only(1))
        encoder_batch_s, _ = best_of(args.rounds, lambda: encoder_only(args.batch_size))
        scorer_s, scored = best_of(args.rounds, lambda: devscore.score_model(model, dev, options))
        single_s, single = best_of(args.rounds, one_by_one)
        floor_s = min(encoder_one_s, encoder_batch_s)

        rows = [
            ("batched scorer (decode+postprocess+score)", scorer_s),
            ("openai-whisper transcribe(), file by file", single_s),
            ("encoder alone, one window at a time", encoder_one_s),
            (f"encoder alone, batches of {args.batch_size}", encoder_batch_s),
        ]
        print(f"{'path':46} {'seconds':>8} {'utt/s':>7} {'x floor':>8}")
        for name, seconds in rows:
            print(f"{name:46} {seconds:8.2f} {keep / seconds:7.2f} {seconds / floor_s:8.2f}")
        print(f"scorer vs transcribe(): {single_s / scorer_s:.2f}x faster; scorer / floor = {scorer_s / floor_s:.2f} "
              f"(target <= 1.15 on CPU)")

        parts = breakdown(model, lambda: devscore.score_model(model, dev, options))
        n, windows = len(spoken), parts["windows"]
        other_s = parts["total_s"] - parts["encoder_s"] - parts["decoder_s"]
        rows_per_step = parts["rows"] / max(1, parts["steps"])
        print(f"scorer breakdown (one more run, timed by hooks, {parts['total_s']:.2f} s): "
              f"{windows} encoder windows for {n} utterances ({windows / n:.2f} per utterance, "
              f"{windows - n} beyond the first); encoder {parts['encoder_s']:.2f} s; "
              f"decoder forward {parts['decoder_s']:.2f} s in {parts['steps']} steps of {rows_per_step:.1f} "
              f"rows on average ({parts['rows']} row-steps); rest (log-mel, logit filters, search, text, "
              f"scoring) {other_s:.2f} s")
        print(f"exact long-form decoding needs {windows} encoder windows where the floor has {n}: even with a free "
              f"decoder the scorer takes >= {windows / n:.2f} x the floor; its decoder steps take "
              f"{parts['decoder_s'] / floor_s:.2f} x the floor")
        same = scored.hypotheses == single.hypotheses
        print(f"WER: scorer {scored.wer:.2f}%, transcribe() {single.wer:.2f}%; identical lines: {same}")
        if not same:
            raise SystemExit("the batched scorer's lines differ from transcribe()'s")


if __name__ == "__main__":
    main()
