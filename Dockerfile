# ConvLab for a classroom: CPU-only torch, uvicorn workers, non-root, health-checked.
#
#   docker build -t convlab:0.1.0 .
#   docker run --rm -p 8000:8000 -e CONVLAB_WORKERS=2 convlab:0.1.0
#
# Build argument: PYTHON_IMAGE (a Python 3.11 slim image: requirements.lock was made on 3.11).
# Every dependency comes from requirements.lock (exact versions, CPU torch from the PyTorch
# index TORCH_INDEX_URL), so a rebuild next month gets what the tests passed with.
# Every runtime setting is a CONVLAB_* environment variable (app/config.py).
# No BuildKit features: the legacy builder builds it too.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    CONVLAB_HOST=0.0.0.0 \
    CONVLAB_PORT=8000 \
    MALLOC_ARENA_MAX=2

WORKDIR /srv/convlab

# 1. the locked dependencies (torch CPU-only first in size): editing app/ does not re-run this.
COPY requirements.lock ./
RUN python -m pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements.lock

# 2. the package itself, a regular (non-editable) install: templates/ and static/ go inside it
#    (setup.py), so nothing is read from /srv/convlab at runtime; --no-deps: all installed above.
COPY pyproject.toml setup.py README.md ./
COPY templates ./templates
COPY static ./static
COPY app ./app
RUN python -m pip install --no-deps . \
 && rm -rf build *.egg-info app templates static \
 && cd / && python -c "import app.main" \
 && groupadd --gid 10001 convlab \
 && useradd --uid 10001 --gid convlab --create-home --shell /usr/sbin/nologin convlab

# 3. run as an unprivileged user; the code stays root-owned, so it cannot be changed at runtime.
USER 10001:10001
EXPOSE 8000

# No curl in slim images: probe with Python's urllib (any non-2xx or no answer fails it).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('CONVLAB_PORT', '8000'), timeout=4)" || exit 1

# uvicorn with CONVLAB_WORKERS processes (default: the CPU count); logs go to the console.
CMD ["convlab", "serve"]
