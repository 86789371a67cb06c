# Two commands: `make run` and `make test`. Each creates .venv when missing, installs
# requirements only when requirements.txt changed, builds the knowledge base when it is
# missing or unreadable, then starts the app / runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
# llama.cpp's HF -> GGUF converter ships in the llama-cpp-python sdist (PyPI), with its gguf-py.
LLAMA_VERSION := 0.3.36
CONVERTER := data/tools/llama.cpp/convert_hf_to_gguf.py
# llama-cpp-python builds from source where PyPI has no wheel: only the libraries we load (no
# multimodal mtmd library; llama.cpp's tools, examples, tests and server are off as a subproject),
# on every core.
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
JOBS := $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test kb browser bench eval drafts train converter install clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@cp requirements.txt $(STAMP)

kb: $(STAMP)
	$(BIN)/python -m scripts.build_kb --if-needed

run: kb
	$(BIN)/python app.py

test: kb browser $(CONVERTER)
	$(BIN)/python -m pytest -q

# Debian's Chromium for the browser test, when this machine lets us install it (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; } || \
		echo "note: Chromium not installed; the browser test will be skipped (apt-get install chromium)"

bench: kb
	$(BIN)/python -m scripts.bench --n 30

eval: kb
	$(BIN)/python -m scripts.eval_all

# Drafts on real-dev and the curated test split: automatic checks per strategy and language, speed,
# ungrounded facts, the reading check's sample and grades (eval/reading/)
drafts: kb
	$(BIN)/python -m scripts.eval_drafts

$(CONVERTER): | $(STAMP)
	@mkdir -p data/tools/sdist
	$(BIN)/python -m pip download --quiet --no-binary :all: --no-deps \
		llama-cpp-python==$(LLAMA_VERSION) -d data/tools/sdist
	tar -xzf data/tools/sdist/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C data/tools/sdist \
		llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/convert_hf_to_gguf.py \
		llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/gguf-py \
		llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/conversion \
		llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/LICENSE
	rm -rf data/tools/llama.cpp && mv data/tools/sdist/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp data/tools/llama.cpp
	rm -rf data/tools/sdist

converter: $(CONVERTER)

# Fine-tune the packaged model on the labelled tickets (~40 min on 2 cores); the product loads it by default.
train: kb $(CONVERTER)
	$(BIN)/python -m scripts.train

clean:
	rm -rf $(VENV) .pytest_cache
