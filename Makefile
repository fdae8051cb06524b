# Quick start: `make run` (ingest a corpus, then serve) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORPUS ?= ../shared/corpus
STAMP  := $(VENV)/.installed

.PHONY: run test bench eval lint lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/huiqi ingest $(CORPUS)
	$(BIN)/huiqi docs

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/huiqi bench ingest $(CORPUS)

eval: $(STAMP)
	$(BIN)/huiqi eval catalog eval/catalog.jsonl --corpus $(CORPUS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Re-pin every dependency (direct and transitive) after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^huiqi' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
