# Quickstart: `make demo` (end-to-end run on a synthetic sample), `make test`
# (the fast tests, a few minutes) and `make test-all` (every test, what CI
# runs). All create and reuse the virtual environment in .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TFDS := $(VENV)/bin/tfds
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo_out
# TensorFlow's C++ INFO and WARNING lines; the commands hide the rest of
# the start-up noise themselves (tfds_builders/common/console.py).
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test test-all bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "Installing TensorFlow, tensorflow-datasets, TensorBoard and this package"
	@echo "into $(VENV)/: usually 2-3 minutes the first time (about 1 GB to fetch),"
	@echo "seconds once pip's cache is warm. pip prints only problems."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench,tensorboard]'
	touch $@
	@echo "Installed."

# `tfds build` prints each dataset's full DatasetInfo (about 50 lines) on
# stdout: the demo keeps it in a file and shows the build's log and errors.
# Sign Language MNIST: sample CSVs -> tfds build -> augmentation preview ->
# train (export included) -> predict -> LiteRT int8 model and predict with
# it -> evaluate -> pictures of what the network learned. Then the cats/dogs
# twin: photo folder -> tfds build -> brief MLP and CNN runs -> their
# comparison -> predict.
demo: install
	@echo "== Sign Language MNIST: synthetic CSVs, tfds build, training, pictures"
	rm -rf $(DEMO_DIR)
	$(PY) -m tfds_builders.sign_language_mnist.make_sample \
	    --out $(DEMO_DIR)/asl_csv --train_rows 2400 --test_rows 480
	$(TFDS) build sign_language_mnist --imports=tfds_builders \
	    --manual_dir=$(DEMO_DIR)/asl_csv --data_dir=$(DEMO_DIR)/tfds \
	    > $(DEMO_DIR)/sign_language_mnist_build.txt
	@echo "Built; the dataset's description: $(DEMO_DIR)/sign_language_mnist_build.txt"
	$(PY) -m asl_pipeline.preview --dataset=sign_language_mnist \
	    --data_dir=$(DEMO_DIR)/tfds --out=$(DEMO_DIR)
	$(PY) -m trainers.asl --flagfile=asl_demo \
	    --data_dir=$(DEMO_DIR)/tfds --workdir=$(DEMO_DIR)/asl
	$(PY) -m trainers.sample_images --data_dir=$(DEMO_DIR)/tfds \
	    --dataset=sign_language_mnist --out=$(DEMO_DIR)/asl_images --count=4
	$(PY) -m trainers.predict --workdir=$(DEMO_DIR)/asl --top_k=3 \
	    $(DEMO_DIR)/asl_images/*.png
	$(PY) -m trainers.export --workdir=$(DEMO_DIR)/asl --format=litert \
	    --quantize=int8
	$(PY) -m trainers.predict --top_k=3 \
	    --workdir=$(DEMO_DIR)/asl/litert/model_int8.tflite \
	    $(DEMO_DIR)/asl_images/*.png
	$(PY) -m trainers.evaluate --workdir=$(DEMO_DIR)/asl \
	    --data_dir=$(DEMO_DIR)/tfds --split=test
	$(PY) -m trainers.visualize --workdir=$(DEMO_DIR)/asl \
	    --image=$$(ls $(DEMO_DIR)/asl_images/*.png | head -n 1) \
	    --out=$(DEMO_DIR)/asl/pictures
	@echo "== Cats and dogs: a photo folder, tfds build, an MLP against a CNN"
	$(PY) -m tfds_builders.cats_dogs.make_sample \
	    --out $(DEMO_DIR)/cats_dogs_photos --per_class 300 --size 160
	$(TFDS) build cats_dogs --imports=tfds_builders --config=cats_dogs \
	    --manual_dir=$(DEMO_DIR)/cats_dogs_photos --data_dir=$(DEMO_DIR)/tfds \
	    > $(DEMO_DIR)/cats_dogs_build.txt
	@echo "Built; the dataset's description: $(DEMO_DIR)/cats_dogs_build.txt"
	$(PY) -m trainers.cats_dogs --flagfile=cats_dogs_demo \
	    --model=mlp_sigmoid --epochs=5 \
	    --data_dir=$(DEMO_DIR)/tfds --workdir=$(DEMO_DIR)/cats_dogs_mlp
	$(PY) -m trainers.cats_dogs --flagfile=cats_dogs_demo \
	    --data_dir=$(DEMO_DIR)/tfds --workdir=$(DEMO_DIR)/cats_dogs
	$(PY) -m trainers.compare $(DEMO_DIR)/cats_dogs_mlp $(DEMO_DIR)/cats_dogs \
	    --out=$(DEMO_DIR)
	$(PY) -m trainers.sample_images --data_dir=$(DEMO_DIR)/tfds \
	    --dataset=cats_dogs --out=$(DEMO_DIR)/cats_dogs_images --count=4
	$(PY) -m trainers.predict --workdir=$(DEMO_DIR)/cats_dogs \
	    --explain=$(DEMO_DIR)/cats_dogs/explain $(DEMO_DIR)/cats_dogs_images/*
	@echo "Demo finished: everything is in $(DEMO_DIR)/"
	@echo "See the training runs in TensorBoard:"
	@echo "  $(VENV)/bin/tensorboard --logdir $(DEMO_DIR)"

# The fast tier: unit tests and one tiny end-to-end training run. The tests
# in tests/integration/ (marked `slow` by tests/conftest.py) are left out.
test: install
	$(PY) -m pytest -m "not slow"

test-all: install
	$(PY) -m pytest

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(DEMO_DIR) build dist *.egg-info
