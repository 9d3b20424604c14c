# Lantern — the two commands of the contract:
#   make run   set everything up from nothing and run Lantern on its embedded defaults
#   make test  install what the tests need (system packages too, when root) and run them all
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := tests/tools

.PHONY: run test catalogs translations install install-test system-deps node-tools services lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

## compile the translation catalogs (.po → .mo; the .mo files are build output, not in git)
translations: $(VENV)/.installed
	@for dir in portal/translations portal/*/translations; do \
	  if [ -d $$dir ]; then $(BIN)/pybabel -q compile -d $$dir || exit 1; fi; done
	@$(BIN)/pybabel -q compile -D site -d publisher/translations

## re-extract every area's messages (and the statistics site's, domain "site" in
## publisher/translations) and merge them into its Spanish catalog (then translate the
## new entries: tests/portal/test_translations.py fails on any empty or fuzzy Spanish message)
CATALOG_SOURCES_translations := portal/templates portal/main portal/errors.py
catalogs: $(VENV)/.installed
	@for dir in portal/translations portal/*/translations; do \
	  [ -d "$$dir" ] || continue; area=$${dir%/translations}; sources="$$area"; \
	  [ "$$dir" = portal/translations ] && sources="$(CATALOG_SOURCES_translations)"; \
	  $(BIN)/pybabel -q extract -F portal/babel.cfg --ignore-dirs ".* __pycache__" -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
	    --sort-output --no-wrap --project Lantern -o $$dir/messages.pot $$sources && \
	  $(BIN)/pybabel -q update --no-wrap -i $$dir/messages.pot -d $$dir -l es; done
	@cd publisher && ../$(BIN)/pybabel -q extract -F babel.cfg -k N_ --sort-output --no-wrap \
	  --project Lantern -o translations/site.pot . && \
	  ../$(BIN)/pybabel -q update --no-wrap -D site -i translations/site.pot -d translations -l es

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## run: create .venv, install, then `lantern demo` (migrate, seed, publish, build the site, serve)
run: install translations
	$(BIN)/lantern demo

## system packages the browser, HTML and production smoke tests (and lantern backup's PostgreSQL
## tools, pg_dump and pg_restore) need (Debian; only when root and
## missing). Debian starts an installed nginx as a service unless policy-rc.d forbids it (as in
## containers); the smoke test runs its own: `systemctl disable --now nginx` if it is unwanted
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null || missing="$$missing nginx"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	{ command -v pg_dump && command -v pg_restore; } >/dev/null || missing="$$missing postgresql-client"; \
	[ -x /usr/sbin/logrotate ] || missing="$$missing logrotate"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them as root)"; fi; \
	fi

$(TOOLS)/node_modules/.installed: $(TOOLS)/package.json $(TOOLS)/package-lock.json
	cd $(TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-tools: $(TOOLS)/node_modules/.installed

## PostgreSQL and Redis: start them when stopped, or say clearly why not
services:
	@bash .ci/ensure-services

test: install-test translations system-deps node-tools services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadgroup

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: install-test services
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk is missing: install it as root (apt-get install wrk)"
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/site.py

clean:
	rm -rf build instance .pytest_cache .mypy_cache .ruff_cache
