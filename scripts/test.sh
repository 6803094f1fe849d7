#!/usr/bin/env bash
# Set everything up and run every test: unit tests plus nbval over every notebook.
#   bash scripts/test.sh            # the full suite (this is what CI runs)
#   bash scripts/test.sh -k survey  # extra arguments go to pytest
# The class-grading tests (tests/test_class_*.py) need the instructor tools: nbgrader and
# JupyterHub (dependency group), configurable-http-proxy (npm) and bubblewrap (Debian).
export COURSE_GROUPS="${COURSE_GROUPS:-instructor}"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$ROOT/scripts/instructor_tools.sh"

# Headless Chromium for tests/test_browser.py: Debian's package, never a browser download.
# Installed only when running as root; otherwise that test skips locally and fails in CI.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (Debian package) for the website test"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "warning: could not install chromium; tests/test_browser.py will report it" >&2
    fi
  else
    echo "== chromium is not installed (needs root: apt-get install chromium); the browser test will skip locally"
  fi
fi

echo "== running unit tests and nbval (full mode) on 2 workers"
status=0
"$ROOT/.venv/bin/python" -m pytest tests notebooks \
  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
  -n 2 --dist loadfile "$@" || status=$?

# The declared floors are proven, not hoped for: the library's own unit tests (those that do not
# drive notebooks, the site or the class tools) run again on the LOWEST versions pyproject.toml
# allows (uv's --resolution lowest-direct), in a throwaway environment. Skipped when pytest was
# given extra arguments (a developer running a subset).
if [ "$#" -eq 0 ]; then
  echo "== unit tests of course_utils on the lowest declared versions (uv --resolution lowest-direct)"
  LOWEST="$ROOT/.venv-lowest"
  "$UV" venv --quiet --allow-existing --python "$PYTHON" "$LOWEST"
  "$UV" export --quiet --locked --only-group test --no-hashes --no-emit-project > "$LOWEST/test-requirements.txt"
  VIRTUAL_ENV="$LOWEST" "$UV" pip install --quiet --resolution lowest-direct -e "$ROOT" \
    -r "$LOWEST/test-requirements.txt"
  mapfile -t library_tests < <(grep -L -E "course_build|nbformat|nbclient|nbval|playwright|nbgrader|jupyterhub|subprocess|tools/" tests/test_*.py)
  "$LOWEST/bin/python" -m pytest "${library_tests[@]}" -q -p no:cacheprovider -n 2 \
    -m "not slow and not browser and not timing" || status=$?
fi
exit "$status"
