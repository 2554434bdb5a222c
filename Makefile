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

# Sign Language MNIST: sample CSVs -> tfds build -> augmentation preview ->
# train (export included) -> predict -> evaluate -> pictures of what the
# network learned. Then the cats/dogs twin: photo folder -> tfds build ->
# a brief CNN run -> predict.
demo: install
	rm -rf $(DEMO_DIR)
	$(PY) -m tfds_builders.sign_language_mnist.make_sample \
	    --out $(DEMO_DIR)/asl_csv --train_rows 2400 --test_rows 480
	$(TFDS) build tfds_builders/sign_language_mnist \
	    --manual_dir=$(DEMO_DIR)/asl_csv --data_dir=$(DEMO_DIR)/tfds
	$(PY) -m asl_pipeline.preview --dataset sign_language_mnist \
	    --data_dir $(DEMO_DIR)/tfds --out $(DEMO_DIR)/asl_augmented.png
	$(PY) -m trainers.asl --flagfile=trainers/configs/asl_demo.flags \
	    --data_dir=$(DEMO_DIR)/tfds --workdir=$(DEMO_DIR)/asl
	$(PY) -m trainers.sample_images --data_dir=$(DEMO_DIR)/tfds \
	    --dataset=sign_language_mnist --out=$(DEMO_DIR)/asl_images --count=4
	$(PY) -m trainers.predict --model=$(DEMO_DIR)/asl --top_k=3 \
	    $(DEMO_DIR)/asl_images/*.png
	$(PY) -m trainers.evaluate --model=$(DEMO_DIR)/asl \
	    --data_dir=$(DEMO_DIR)/tfds --split=test
	$(PY) -m trainers.visualize --model=$(DEMO_DIR)/asl \
	    --image=$$(ls $(DEMO_DIR)/asl_images/*.png | head -n 1) \
	    --out=$(DEMO_DIR)/asl/pictures
	$(PY) -m tfds_builders.cats_dogs.make_sample \
	    --out $(DEMO_DIR)/cats_dogs_photos --per_class 300 --size 160
	$(TFDS) build tfds_builders/cats_dogs --config=cats_dogs \
	    --manual_dir=$(DEMO_DIR)/cats_dogs_photos --data_dir=$(DEMO_DIR)/tfds
	$(PY) -m trainers.cats_dogs --flagfile=trainers/configs/cats_dogs_demo.flags \
	    --data_dir=$(DEMO_DIR)/tfds --workdir=$(DEMO_DIR)/cats_dogs
	$(PY) -m trainers.sample_images --data_dir=$(DEMO_DIR)/tfds \
	    --dataset=cats_dogs --out=$(DEMO_DIR)/cats_dogs_images --count=4
	$(PY) -m trainers.predict --model=$(DEMO_DIR)/cats_dogs \
	    $(DEMO_DIR)/cats_dogs_images/*
	@echo "Demo finished: everything is in $(DEMO_DIR)/"

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(DEMO_DIR) build dist *.egg-info
