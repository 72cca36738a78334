"""The demo that `make submission` runs: the paper's method end to end without SAP data or a GPU.

A synthetic corpus in the SAP layout (`corpus`, from sentences in `prompts` spoken by eSpeak NG with
dysarthria-like perturbations in `speech`) and short fine-tuning runs of the real tiny.en weights
(`finetune`) that give `sapsoup select` real candidates to merge. Nothing in the product depends on it.
"""
