# The two set-up commands of the README. Each creates or reuses .venv and installs the pinned
# stack first (tools/install.sh skips what is already installed).
PY := .venv/bin/python
SHAPES := --out data/shapes --train 1000 --val 100 --size 128 --seed 0

.PHONY: install demo test data

install:
	@bash tools/install.sh

data: install
	$(PY) tools/make_synthetic.py $(SHAPES) --preview reports/demo/shapes_preview.png

demo: data
	$(PY) tools/benchmark.py all configs/benchmarks/demo.py

test: install
	$(PY) -m pytest -q tests
