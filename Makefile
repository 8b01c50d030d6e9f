# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install, open the app on the bundled sample model
#   make test  - same set-up, then lint, import contract and the whole test suite (offscreen)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench screenshots samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	# torch is an optional extra; the plan tests skip where it cannot be installed.
	-$(PY) -m pip install --quiet "torch==2.13.0" onnxscript || echo "torch not installed: PyTorch-plan tests will skip"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench.run_all

samples: $(STAMP)
	$(PY) scripts/make_sample_models.py

screenshots: $(STAMP)
	# Debian/Ubuntu: a virtual X server and the xcb libraries Qt's xcb platform plugin needs
	@command -v xvfb-run >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -ne 0 ] && command -v sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq xvfb xauth libxcb-cursor0 libxcb-icccm4 \
			libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 \
			libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3; }
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
