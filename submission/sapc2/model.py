"""SAPC2 submission: the `Model` class the organisers' ingestion program loads and calls per file.

The ingestion program puts the archive folder on `sys.path`, runs `Model()` once, then
`predict(wav_path)` for every utterance and writes the returned text to its CSV. The model, the
decoding settings and the post-processing options all come from the files beside this one
(`model.pt`, `sapsoup.json`, `decoding.py`, `postprocess/`), so what sapsoup recorded is what runs.

Written by sapsoup; needs only the files beside it and the packages in requirements.txt.
"""

import json
import os
import sys

# Put the archive folder first on the path: the ingestion program appends it, and a same-named
# module installed on the server must not shadow `decoding` or `postprocess`.
HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path[:1] != [HERE]:
    sys.path.insert(0, HERE)

import decoding  # noqa: E402
from postprocess import PostprocessOptions, postprocess  # noqa: E402

RAW_OUTPUT_VARIABLE = "SAPSOUP_RAW_OUTPUT"  # sapsoup validate's ablation only: transcripts before post-processing


class Model:
    """The merged Whisper model with sapsoup's decoding and post-processing."""

    def __init__(self):
        with open(os.path.join(HERE, "sapsoup.json"), encoding="utf-8") as handle:
            settings = json.load(handle)
        self.beam_size = settings["decoding"]["beam_size"]
        self.length_penalty = settings["decoding"]["length_penalty"]
        self.options = PostprocessOptions.from_dict(settings["postprocess"])
        self.model = decoding.load_model(os.path.join(HERE, "model.pt"))
        print(f"sapsoup model loaded on {self.model.device}", file=sys.stderr)

    def predict(self, wav_path: str) -> str:
        """The transcript of one file; "" (with a warning on stderr) if it cannot be transcribed,
        so that one bad file never stops the run."""
        raw = decoding.transcribe_file(self.model, wav_path, self.beam_size, self.length_penalty)
        raw_output = os.environ.get(RAW_OUTPUT_VARIABLE)
        if raw_output:  # never set on the server
            with open(raw_output, "a", encoding="utf-8") as handle:
                handle.write(" ".join(raw.split()) + "\n")
        if not raw:
            return ""
        try:
            return " ".join(postprocess(raw, self.options).split())
        except Exception as error:
            decoding.warn(f"{wav_path}: post-processing failed ({type(error).__name__}: {error}); returning ''")
            return ""
