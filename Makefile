# 医保通 — two commands: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
PYTHON ?= $(shell for c in python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/bin/python3; do \
	if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; break; fi; done)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := chromium fonts-noto-cjk espeak-ng gettext sox libsox-fmt-mp3
SERVICE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
SERVICE_REDIS_URL ?= redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-prod test test-fast test-service bench soak lint lock messages system-deps install clean

# Exactly the locked tree (requirements.lock, hashes checked), then the project itself without resolving again.
$(STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed and was not found."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

# Debian packages: Chromium and CJK fonts for browser tests, espeak-ng and SoX (with MP3) for voice,
# gettext to compile translations. Installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	sox -h 2>/dev/null | grep -q "AUDIO FILE FORMATS:.* mp3 " || missing="$$missing libsox-fmt-mp3"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

messages: $(STAMP) system-deps
	@if [ -d locale ]; then $(BIN)/python manage.py compilemessages --ignore=.venv -v0; fi

run: $(STAMP) system-deps messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py build_voice_guides
	@echo "医保通 is at http://$(HOST):$(PORT)/  (SMS codes: http://$(HOST):$(PORT)/dev/outbox/)"
	$(BIN)/uvicorn portal.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio --reload --reload-include '*.html' \
		--reload-exclude '.venv/*' --reload-exclude 'var/*'

# The production stack on one machine (docs/scale.md, README "Production"): WEB_PROCESSES ASGI processes on
# ports WEB_BASE_PORT, WEB_BASE_PORT+1, …; WORKERS Celery worker processes and one beat; kept running by
# supervisord (deploy/supervisord.conf) on PostgreSQL and Redis, the channel layer sharded over the Redis
# servers in CHANNEL_REDIS_HOSTS (a second redis-server is started on SECOND_REDIS_PORT; set it empty when
# CHANNEL_REDIS_HOSTS names servers of their own). Ctrl-C stops everything.
PROD_SETTINGS ?= portal.settings.dev
PROD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/yibaotong
PROD_REDIS_URL ?= redis://127.0.0.1:6379/3
SECOND_REDIS_PORT ?= 6380
CHANNEL_REDIS_HOSTS ?= redis://127.0.0.1:6379/5,redis://127.0.0.1:$(SECOND_REDIS_PORT)/0
WEB_PROCESSES ?= 2
WEB_BASE_PORT ?= 8001
WORKERS ?= 2
RUN_DIR ?= $(CURDIR)/var/prod
PROD_ENV = DJANGO_SETTINGS_MODULE=$(PROD_SETTINGS) DEBUG=false CELERY_TASK_ALWAYS_EAGER=false \
	DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(PROD_REDIS_URL) CHANNEL_REDIS_HOSTS=$(CHANNEL_REDIS_HOSTS) \
	WEB_PROCESSES=$(WEB_PROCESSES) WEB_BASE_PORT=$(WEB_BASE_PORT) WEB_HOST=$(HOST) WORKERS=$(WORKERS) \
	RUN_DIR=$(RUN_DIR) APP_DIR=$(CURDIR) VENV_BIN=$(CURDIR)/$(BIN)
run-prod: $(STAMP) system-deps messages
	@mkdir -p $(RUN_DIR)/extra && rm -f $(RUN_DIR)/extra/*.conf
	@if [ -n "$(SECOND_REDIS_PORT)" ]; then printf '%s\n' '[program:redis-shard]' \
		'command=redis-server --port $(SECOND_REDIS_PORT) --bind 127.0.0.1 --save "" --appendonly no' \
		'priority=1' 'autorestart=true' 'redirect_stderr=true' 'stdout_logfile=$(RUN_DIR)/redis-shard.log' \
		> $(RUN_DIR)/extra/redis-shard.conf; fi
	$(PROD_ENV) $(BIN)/python manage.py prepare_stack --demo
	@echo "医保通 (production stack): http://$(HOST):$(WEB_BASE_PORT)/ … $(WEB_PROCESSES) processes; logs in $(RUN_DIR)"
	$(PROD_ENV) exec $(BIN)/supervisord -c deploy/supervisord.conf

test: $(STAMP) system-deps messages
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/pytest -m "not service" -p xdist -n 2

test-fast: $(STAMP)
	$(BIN)/pytest -m "not service and not browser" -x -q

# The service-backed suite: PostgreSQL, Redis (channels-redis), a real Celery worker and ASGI server.
test-service: $(STAMP) system-deps messages
	DATABASE_URL=$(SERVICE_DATABASE_URL) REDIS_URL=$(SERVICE_REDIS_URL) SERVICE_TESTS=1 \
		$(BIN)/pytest -m service -p no:xdist

# The benchmark (issue 3): its own PostgreSQL database (created and dropped by the command) and its own
# Redis databases (BENCH_REDIS_URL's and the next one, flushed before and after). E.g.
# `make bench BENCH_ARGS="--clients 5000"`; `BENCH_ARGS=--json` for JSON.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/yibaotong_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/12
BENCH_ARGS ?=
bench: $(STAMP)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) DEBUG=false LOG_LEVEL=WARNING \
		CELERY_TASK_ALWAYS_EAGER=false $(BIN)/python manage.py bench --fresh-stores $(BENCH_ARGS)

# The soak (issue 16): ten minutes of pushes across the processes, every message counted at each stage.
SOAK_ARGS ?= --soak-seconds 600 --soak-rate 300
soak: $(STAMP)
	$(MAKE) bench BENCH_ARGS="--measure soak --clients 1000 $(SOAK_ARGS)"

# Re-pin every dependency after changing pyproject.toml (needs the package index).
lock: $(STAMP)
	$(BIN)/python -m pip install -q pip-tools==7.6.2
	$(BIN)/pip-compile -q --extra test --generate-hashes --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
	@sed -i '1i # The whole dependency tree, pinned with hashes: `make lock` writes it from pyproject.toml (pip-tools).\n# `make run` and `make test` install exactly this.' requirements.lock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) var staticfiles artifacts
