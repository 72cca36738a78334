"""The SAP Challenge editions: everything the organisers define for each, one module per edition.

`sapc1` is the 2025 challenge (the paper's: WER and SEM); `sapc2` the 2026 one (CER first, then WER).
The modules beside them hold mechanisms the editions share or that are too large to sit inline:
the organisers' text normalisers, an aligner that chooses as sclite does, NeMo's normaliser.
"""
