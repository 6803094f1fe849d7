#!/usr/bin/env bash
# Shared set-up for scripts/lab.sh and scripts/test.sh (source it, do not run it).
# Creates or reuses the project's own virtual environment (.venv) from uv.lock with the
# python3 already on the machine, and installs the course's "python3" Jupyter kernel
# into that environment, so nothing depends on what was installed by hand.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="0.13.9"
export UV_PYTHON_DOWNLOADS=never         # use the machine's python3; never fetch an interpreter
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
export JUPYTER_PREFER_ENV_PATH=1         # the venv's kernel wins over any per-user kernel
export PYTHONHASHSEED=0
# Byte-compile installed packages once at sync time: where PYTHONDONTWRITEBYTECODE is set (as on
# the course's CI machines) Python would otherwise recompile pandas/statsmodels/scipy on every
# kernel start, about 4 s per lesson.
export UV_COMPILE_BYTECODE=1
export PYDEVD_DISABLE_FILE_VALIDATION=1  # keeps debugger notices out of compared outputs

PYTHON="$(command -v python3 || true)"
if [ -z "$PYTHON" ]; then
  echo "error: python3 is needed (3.10 to 3.13). Install it, then run this command again." >&2
  exit 1
fi
# The real interpreter behind a shim (pyenv, asdf): uv compares it with the one .venv was made
# from, and given the shim it would delete and rebuild .venv on every run -- under the feet of
# anything running in it.
PYTHON="$("$PYTHON" -c 'import sys; print(sys.executable)')"

# 0. graphviz (Debian package): course_utils.dags routes a causal diagram's arrows around its
#    names with graphviz's neato; without it arrows are drawn straight and the stored lesson
#    figures would not match.  Installed only when running as root (CI, containers).
if ! command -v neato >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing graphviz (Debian package) for the causal diagrams"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }; then
      echo "warning: could not install graphviz; causal diagrams will use straight arrows" >&2
    fi
  else
    echo "== graphviz is not installed (sudo apt-get install graphviz); causal diagrams will use straight arrows"
  fi
fi

# 1. uv, pinned, in a private tools environment unless a matching uv is already on PATH.
if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then
  UV="$(command -v uv)"
else
  if [ ! -x "$ROOT/.tools/bin/uv" ] || [ "$("$ROOT/.tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "== installing uv $UV_VERSION into .tools/"
    "$PYTHON" -m venv "$ROOT/.tools"
    "$ROOT/.tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  UV="$ROOT/.tools/bin/uv"
fi

# 2. The project environment, exactly as locked (fails if uv.lock is out of date).
#    COURSE_GROUPS adds dependency groups (scripts/test.sh and scripts/instructor.sh: "instructor").
GROUP_ARGS=()
for group in ${COURSE_GROUPS:-}; do GROUP_ARGS+=(--group "$group"); done
echo "== syncing .venv from uv.lock${COURSE_GROUPS:+ (with: $COURSE_GROUPS)}"
"$UV" sync --locked --python "$PYTHON" --quiet ${GROUP_ARGS[@]+"${GROUP_ARGS[@]}"}

# 3. The python3 kernel, inside .venv, pointing at .venv's interpreter.
#    Skipped when it is already there and right, so running set-up again (e.g. scripts/course.sh while
#    notebooks execute) never rewrites a kernel spec another process may be reading.
KERNEL_JSON="$ROOT/.venv/share/jupyter/kernels/python3/kernel.json"
if ! grep -qF "\"$ROOT/.venv/bin/python\"" "$KERNEL_JSON" 2>/dev/null \
   || ! grep -qF '"Python 3 (kratom-evidence course)"' "$KERNEL_JSON" 2>/dev/null; then
  "$ROOT/.venv/bin/python" -m ipykernel install --sys-prefix --name python3 \
    --display-name "Python 3 (kratom-evidence course)" >/dev/null
fi
export PATH="$ROOT/.venv/bin:$PATH"
