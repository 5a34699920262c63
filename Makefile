# Liputan: `make demo` runs the whole job on the bundled sample web, `make test` the suite.
# Both create .venv and install the project first; nothing here reaches beyond PyPI/Debian.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Debian packages the test suite uses (command:package).
DEBIAN_DEPS := wget:wget chromium:chromium

.PHONY: install demo test lint system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(PY) -c "import crawler, pipelines, scrapy, trafilatura, warcio, sqlite_utils"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; for dep in $(DEBIAN_DEPS); do \
		command -v $${dep%%:*} >/dev/null 2>&1 || missing="$$missing $${dep##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(VENV)/bin/liputan demo

test: install system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check .

bench: install system-deps
	$(PY) benchmarks/crawl.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
