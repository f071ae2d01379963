# The two set-up commands of the README. Each creates or reuses .venv and installs the pinned
# stack first (tools/install.sh skips what is already installed).
PY := .venv/bin/python
# The 64 x 64 shapes benchmark of the demo suite (configs/_base_/datasets/shapes64.py).
SHAPES := --out data/shapes64 --train 2000 --val 200 --size 64 --seed 0 --preset demo

.PHONY: install demo test data

install:
	@bash tools/install.sh

data: install
	$(PY) tools/make_synthetic.py $(SHAPES) --preview reports/demo/shapes_preview.png

demo: data
	$(PY) tools/benchmark.py all configs/benchmarks/demo.py

test: install
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n auto --dist worksteal tests
