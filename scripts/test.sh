#!/usr/bin/env bash
# Set everything up and run every test: unit tests plus nbval over every notebook.
#   bash scripts/test.sh            # the full suite (this is what CI runs)
#   bash scripts/test.sh -k survey  # extra arguments go to pytest
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== running unit tests and nbval (full mode) on 2 workers"
exec "$ROOT/.venv/bin/python" -m pytest tests notebooks \
  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
  -n 2 --dist loadfile "$@"
