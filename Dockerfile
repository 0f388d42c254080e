# ConvLab for a classroom: CPU-only torch, uvicorn workers, non-root, health-checked.
#
#   docker build -t convlab:0.1.0 .
#   docker run --rm -p 8000:8000 -e CONVLAB_WORKERS=2 convlab:0.1.0
#
# Build arguments: PYTHON_IMAGE (any Python >= 3.11 slim image), TORCH_INDEX_URL (the PyTorch
# CPU wheel index; point it at a mirror if needed) and TORCH_VERSION (within pyproject's
# "torch>=2.2,<2.14"). Every runtime setting is a CONVLAB_* environment variable (app/config.py).
# No BuildKit features: the legacy builder builds it too.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    CONVLAB_HOST=0.0.0.0 \
    CONVLAB_PORT=8000

WORKDIR /srv/convlab

# 1. torch, CPU-only (no CUDA libraries): the largest layer, so the first.
RUN python -m pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"

# 2. the other dependencies, read from pyproject.toml: editing app/ does not re-run this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && python -m pip install -r /tmp/requirements.txt "torch==${TORCH_VERSION}" \
 && rm /tmp/requirements.txt

# 3. the source, then the package itself (editable, so templates/ and static/ are found beside
#    app/; --no-deps: everything it needs is installed above).
COPY README.md ./
COPY templates ./templates
COPY static ./static
COPY app ./app
RUN python -m pip install --no-deps -e . \
 && python -c "import app.main" \
 && groupadd --gid 10001 convlab \
 && useradd --uid 10001 --gid convlab --create-home --shell /usr/sbin/nologin convlab

# 4. run as an unprivileged user; the code stays root-owned, so it cannot be changed at runtime.
USER 10001:10001
EXPOSE 8000

# No curl in slim images: probe with Python's urllib (any non-2xx or no answer fails it).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('CONVLAB_PORT', '8000'), timeout=4)" || exit 1

# uvicorn with CONVLAB_WORKERS processes (default: the CPU count); logs go to the console.
CMD ["convlab", "serve"]
