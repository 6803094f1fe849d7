#!/usr/bin/env bash
# Set everything up and open the course in JupyterLab.
#   bash scripts/lab.sh                 # opens a browser tab
#   bash scripts/lab.sh --no-browser    # extra arguments go to `jupyter lab`
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== opening JupyterLab at notebooks/00_orientation.ipynb (Ctrl-C twice to stop)"
exec "$ROOT/.venv/bin/jupyter" lab --notebook-dir="$ROOT" "$@" "notebooks/00_orientation.ipynb"
