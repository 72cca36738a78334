"""The converted real tiny.en really recognises speech: WER on clean corpus utterances."""

import soundfile
from sapsoup.demo.corpus import iter_files, write_corpus
from sapsoup.postprocess import postprocess
from sapsoup.editions.sapc1 import reference, score_sapc1


def test_converted_tiny_en_transcribes_clean_corpus_speech_well_under_30_percent_wer(tmp_path, tiny_en_pt):
    import whisper

    write_corpus(tmp_path / "corpus", speakers=2, utterances=4, seed=3, severity="clean")
    files = [f for f in iter_files(tmp_path / "corpus") if f.entry["Synthesis"]["duration_s"] < 30][:6]
    assert len(files) >= 4
    model = whisper.load_model(tiny_en_pt, device="cpu")
    hypotheses, ref1, ref2 = [], [], []
    for item in files:
        audio, rate = soundfile.read(item.wav_path, dtype="float32")
        assert rate == 16000
        result = model.transcribe(audio, language="en", temperature=0.0, fp16=False)
        hypotheses.append(postprocess(result["text"]))
        transcript = item.entry["Prompt"]["Transcript"]
        ref1.append(reference(transcript, remove_parentheses=False))
        ref2.append(reference(transcript, remove_parentheses=True))
    score = score_sapc1(hypotheses, ref1, ref2)
    # Measured: about 10-15% on clean eSpeak speech; a broken conversion gives 100% or more.
    assert score.wer < 30, list(zip(hypotheses, ref1))
