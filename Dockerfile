# syntax=docker/dockerfile:1
# One image for every process of the inquiry service; the command picks the role:
#   inquiry api | inquiry worker | inquiry migrate | inquiry demo-data
# See docker-compose.yml for how the stack runs it.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the project and its dependencies into a virtualenv ----------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src
# .dockerignore keeps virtualenvs, caches, tests, secrets (.env) and deploy files out.
COPY . .
RUN pip install --no-cache-dir .

# ---- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    LOG_FORMAT=json

RUN groupadd --system --gid 10001 inquiry \
    && useradd --system --uid 10001 --gid inquiry --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin inquiry

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY migrations/ /app/migrations/
# The installed package is in site-packages; the SQL files live here (read by repository/migrations.py).
ENV MIGRATIONS_DIR=/app/migrations
RUN mkdir -p /app/var && chown inquiry:inquiry /app/var

# Fail the build, not the deployment, when the installed package is incomplete: every module
# `pip install .` installed must import (a package missing from pyproject.toml's `packages`
# shows up here), the `inquiry` command must exist and the migrations must be found.
RUN ENVIRONMENT=test python - <<'PY'
import importlib
import importlib.metadata
import shutil
import sys

from pathlib import PurePosixPath

files = importlib.metadata.distribution("inquiry-service").files or []
modules = sorted(
    ".".join(PurePosixPath(f).with_suffix("").parts).removesuffix(".__init__")
    for f in files
    if f.suffix == ".py" and ".." not in f.parts
)
for module in modules:
    importlib.import_module(module)
print(f"imported {len(modules)} modules")
if shutil.which("inquiry") is None:
    sys.exit("the `inquiry` console script is not installed")

from repository.migrations import MIGRATIONS_DIR

found = sorted(p.name for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))
print(f"{len(found)} migrations in {MIGRATIONS_DIR}")
if not found:
    sys.exit(f"no migrations found in {MIGRATIONS_DIR}")
PY

USER inquiry:inquiry

EXPOSE 8000
CMD ["inquiry", "api"]
