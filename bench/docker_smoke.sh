#!/usr/bin/env bash
# Build the image, run it on a loopback port, and print the figures of the deployment report:
# image size, container create time, cold start (docker start -> /api/health 200), a page and
# the docs from outside the container, the health check state, and the graceful stop time.
#
#   bench/docker_smoke.sh                      # builds convlab:<version> from this checkout
#   PYTHON_IMAGE=my/python:3.11-slim bench/docker_smoke.sh   # another base image
#   PORT=18080 WORKERS=2 bench/docker_smoke.sh
#
# It removes the container it starts, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VERSION=$(python3 -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
IMAGE="convlab:$VERSION"
PORT="${PORT:-18080}"
WORKERS="${WORKERS:-2}"
NAME="convlab-smoke-$$"
URL="http://127.0.0.1:$PORT"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

build_args=()
[ -n "${PYTHON_IMAGE:-}" ] && build_args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
t0=$(now)
docker build -q "${build_args[@]}" -t "$IMAGE" . >/dev/null
t1=$(now)
echo "build:                $(secs "$t0" "$t1") s (cached layers are reused)"
echo "image size:           $(docker image inspect -f '{{.Size}}' "$IMAGE" | python3 -c 'import sys; print(f"{int(sys.stdin.read()) / 1e9:.2f} GB")')"

trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true' EXIT
t0=$(now)
docker create --name "$NAME" --read-only --tmpfs /tmp --cap-drop ALL \
  --security-opt no-new-privileges -p "127.0.0.1:$PORT:8000" -e "CONVLAB_WORKERS=$WORKERS" \
  "$IMAGE" >/dev/null
t1=$(now)
docker start "$NAME" >/dev/null
for _ in $(seq 1 1200); do
  curl -fsS -o /dev/null "$URL/api/health" 2>/dev/null && break
  [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || { docker logs "$NAME"; exit 1; }
  sleep 0.05
done
t2=$(now)
echo "container create:     $(secs "$t0" "$t1") s"
echo "cold start:           $(secs "$t1" "$t2") s (docker start -> /api/health 200, $WORKERS workers)"
echo "health:               $(curl -fsS "$URL/api/health")"
echo "page /convolution:    $(curl -fsS -o /dev/null -w '%{http_code}, %{size_download} bytes' "$URL/convolution")"
echo "page /docs:           $(curl -fsS -o /dev/null -w '%{http_code}, %{size_download} bytes' "$URL/docs")"
echo "CSP:                  $(curl -fsS -D - -o /dev/null "$URL/" | grep -i '^content-security-policy' | cut -c1-60)..."
echo "runs as:              $(docker exec "$NAME" id -u):$(docker exec "$NAME" id -g)"
echo "memory:               $(docker stats --no-stream --format '{{.MemUsage}}' "$NAME")"
for _ in $(seq 1 60); do
  state=$(docker inspect -f '{{.State.Health.Status}}' "$NAME")
  [ "$state" = starting ] || break
  sleep 1
done
echo "HEALTHCHECK:          $state"
t0=$(now)
docker stop "$NAME" >/dev/null
t1=$(now)
echo "graceful stop:        $(secs "$t0" "$t1") s, exit code $(docker inspect -f '{{.State.ExitCode}}' "$NAME")"
