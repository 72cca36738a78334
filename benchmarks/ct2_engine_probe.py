"""Would a CTranslate2 int8 engine make `sapsoup select`'s dev scoring faster, and at what WER cost?

Usage: pip install ctranslate2==4.8.5   (not a sapsoup dependency: see benchmarks/RESULTS.md)
       python benchmarks/ct2_engine_probe.py [--dev DEV --split NAME] [--rounds 2]

`sapsoup select` would take an optional faster engine only if its speed and its WER gap to the
exact path were measured side by side. This probe measures, in one process on the same dev subset
(the synthetic one of `dev_scoring_speed.py` by default) with tiny.en on the CPU:

* one 30-s window through the encoder: openai-whisper (float32, torch) against CTranslate2 with
  int8, int8_float32 and float32 weights, one window at a time and in batches of 8;
* long-form decoding of every utterance one at a time: openai-whisper's own `transcribe` loop, its
  windows decoded by torch (the exact path) or by CTranslate2 int8 (same log-mel, same seeking and
  prompts; only the model arithmetic differs), with the WER of each after post-processing;
* the exact batched scorer that `sapsoup select` runs (`devscore.score_model`), for reference.

The model is converted with CTranslate2's own converter from the Hugging Face folder sapsoup writes.
"""

import argparse
import os
import tempfile
import types


def ct2_stand_in(ct2_model, dims):
    """An object that openai-whisper's `transcribe` takes for a model: it decodes each window with
    CTranslate2, prompts and options built by whisper's own `DecodingTask`."""
    import ctranslate2
    import numpy as np
    import torch
    from whisper.decoding import DecodingResult, DecodingTask
    from whisper.utils import compression_ratio

    model = types.SimpleNamespace(dims=dims, device=torch.device("cpu"), decoder=types.SimpleNamespace(blocks=[]))
    model.is_multilingual = dims.n_vocab >= 51865
    model.num_languages = dims.n_vocab - 51765 - int(model.is_multilingual)

    def decode(mel, options):
        task = DecodingTask(model, options)
        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel.numpy()[None]))
        result = ct2_model.generate(
            features, [list(task.initial_tokens)], beam_size=options.beam_size or 1,
            length_penalty=options.length_penalty or 1.0, max_length=task.sample_len, return_scores=True,
            return_no_speech_prob=True, suppress_blank=options.suppress_blank, suppress_tokens=[-1],
        )[0]
        tokens = result.sequences_ids[0]
        text = task.tokenizer.decode(tokens).strip()
        total_logprob = result.scores[0] * len(tokens) ** (options.length_penalty or 1.0)
        return DecodingResult(
            audio_features=None, language="en", tokens=tokens, text=text, avg_logprob=total_logprob / (len(tokens) + 1),
            no_speech_prob=result.no_speech_prob, temperature=options.temperature, compression_ratio=compression_ratio(text),
        )

    model.decode = decode
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", help="a prepared dev folder (default: a synthetic one)")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import ctranslate2
    import numpy as np
    import torch
    import whisper
    from ctranslate2.converters import TransformersConverter

    from dev_scoring_speed import best_of, first_window, prepare_subset
    from sapsoup.builder.pretrained import write_pretrained
    from sapsoup.postprocess import PostprocessOptions
    from sapsoup.submission import decoding
    from sapsoup.validate import devscore

    with tempfile.TemporaryDirectory(prefix="sapsoup-ct2-") as work:
        dev = devscore.load_dev(args.dev or prepare_subset(work, 24), args.split)
        write_pretrained("tiny.en", os.path.join(work, "tiny.en.pt"), to="openai", dtype="fp32")
        write_pretrained("tiny.en", os.path.join(work, "tiny.en-hf"), to="hf", dtype="fp32")
        TransformersConverter(os.path.join(work, "tiny.en-hf")).convert(os.path.join(work, "ct2"), quantization="int8")
        model = decoding.load_model(os.path.join(work, "tiny.en.pt"))
        print(f"dev subset: {len(dev.audios)} utterances, {sum(len(a) > 30 * 16000 for a in dev.audios)} over 30 s; "
              f"tiny.en, CPU, {torch.get_num_threads()} threads; ctranslate2 {ctranslate2.__version__}")

        mels = np.stack([first_window(model, a, torch.float32).numpy() for a in dev.audios[:8]])
        print("\nencoder, seconds per 30-s window (one at a time | batch of 8):")
        with torch.inference_mode():
            model.encoder(torch.from_numpy(mels[:1]))
            one, _ = best_of(args.rounds, lambda: [model.encoder(torch.from_numpy(m[None])) for m in mels])
            eight, _ = best_of(args.rounds, lambda: model.encoder(torch.from_numpy(mels)))
        print(f"  openai-whisper float32   {one / 8:.3f} | {eight / 8:.3f}")
        for compute_type in ("int8", "int8_float32", "float32"):
            ct2 = ctranslate2.models.Whisper(os.path.join(work, "ct2"), device="cpu", compute_type=compute_type,
                                             intra_threads=torch.get_num_threads())
            ct2.encode(ctranslate2.StorageView.from_array(mels[:1]))
            one, _ = best_of(args.rounds, lambda: [ct2.encode(ctranslate2.StorageView.from_array(m[None])) for m in mels])
            eight, _ = best_of(args.rounds, lambda: ct2.encode(ctranslate2.StorageView.from_array(mels)))
            print(f"  ctranslate2 {compute_type:<12} {one / 8:.3f} | {eight / 8:.3f}")

        post = PostprocessOptions()
        options = decoding.transcribe_options(model)
        ct2 = ctranslate2.models.Whisper(os.path.join(work, "ct2"), device="cpu", compute_type="int8",
                                         intra_threads=torch.get_num_threads())
        stand_in = ct2_stand_in(ct2, model.dims)

        def wer_of(run):
            return devscore.score_lines([devscore.finish_line(r, post) for r in run()], dev).wer

        exact_one = lambda: [decoding.transcribe(model, a) for a in dev.audios]  # noqa: E731
        fast_one = lambda: [" ".join(whisper.transcribe(stand_in, a, **options)["text"].split()) for a in dev.audios]  # noqa: E731
        exact_s, exact_lines = best_of(args.rounds, exact_one)
        fast_s, fast_lines = best_of(args.rounds, fast_one)
        scorer_s, scorer = best_of(args.rounds, lambda: devscore.score_model(model, dev, devscore.ScoringOptions()))
        differ = sum(a != b for a, b in zip(exact_lines, fast_lines))
        print("\nlong-form decoding of the dev subset (WER after post-processing):")
        print(f"  exact, one utterance at a time     {exact_s:6.2f} s   WER {wer_of(lambda: exact_lines):6.2f}%")
        print(f"  ctranslate2 int8, one at a time    {fast_s:6.2f} s   WER {wer_of(lambda: fast_lines):6.2f}%   "
              f"({differ} of {len(dev.audios)} lines differ from the exact path)")
        print(f"  exact batched scorer (select)      {scorer_s:6.2f} s   WER {scorer.wer:6.2f}%")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
