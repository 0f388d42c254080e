# Shared by scripts/serve and scripts/test: make .venv and install the project into it from the
# lock file (the exact versions the tests passed with), skipping pip entirely when neither
# pyproject.toml nor the lock file has changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

ensure_venv() {  # $1: "" (run) or "[test]" (run + test tools)
  local extras="$1"
  local lock="$ROOT/requirements.lock"
  if [ "$extras" = "[test]" ]; then
    lock="$ROOT/requirements-test.lock"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    echo "convlab: creating $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.convlab-installed${extras//[^a-z]/-}"
  local want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/setup.py" "$lock" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "convlab: installing $(basename "$lock") and convlab into .venv (torch is the CPU build)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  # torch==…+cpu: from a local wheel where pip.conf points at one, else from the PyTorch CPU
  # index named by CONVLAB_TORCH_INDEX_URL (https://download.pytorch.org/whl/cpu). No index is
  # named by default: a registry-only network would stall on retries to an unreachable host.
  local index=()
  if [ -n "${CONVLAB_TORCH_INDEX_URL:-}" ]; then
    index=(--extra-index-url "$CONVLAB_TORCH_INDEX_URL")
  fi
  "$VENV/bin/python" -m pip install --quiet "${index[@]}" -r "$lock"
  "$VENV/bin/python" -m pip install --quiet --no-deps -e "$ROOT"
  echo "$want" > "$stamp"
}
