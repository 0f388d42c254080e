# Shared by scripts/serve and scripts/test: make .venv and install the project into it,
# skipping pip entirely when pyproject.toml has not changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

ensure_venv() {  # $1: extras, e.g. "" or "[test]"
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "convlab: creating $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.convlab-installed${extras//[^a-z]/-}"
  local want
  want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "convlab: installing convlab$extras into .venv (torch is the CPU build, >=2.2,<2.14)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT$extras"
  echo "$want" > "$stamp"
}
