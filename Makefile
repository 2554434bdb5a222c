# Quickstart: `make demo` (end-to-end run on a synthetic sample) and
# `make test`. Both create and reuse the virtual environment in .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TFDS := $(VENV)/bin/tfds
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo_out
# Quiet TensorFlow's C++ start-up banner; errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

demo: install
	rm -rf $(DEMO_DIR)
	$(PY) -m tfds_builders.sign_language_mnist.make_sample \
	    --out $(DEMO_DIR)/asl_csv --train_rows 2400 --test_rows 480
	$(TFDS) build tfds_builders/sign_language_mnist \
	    --manual_dir=$(DEMO_DIR)/asl_csv --data_dir=$(DEMO_DIR)/tfds
	@echo "Demo finished: outputs in $(DEMO_DIR)/"

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(DEMO_DIR) build dist *.egg-info
