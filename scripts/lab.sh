#!/usr/bin/env bash
# Set everything up and open the course in JupyterLab.
#   bash scripts/lab.sh                 # opens a browser tab
#   bash scripts/lab.sh --no-browser    # extra arguments go to `jupyter lab`
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== opening JupyterLab at notebooks/00_orientation.ipynb (Ctrl-C twice to stop)"
extra=()
if [ "$(id -u)" = "0" ]; then
  extra+=(--allow-root)  # containers and CI machines run as root; Jupyter refuses that without this flag
fi
exec "$ROOT/.venv/bin/jupyter" lab --ip=127.0.0.1 --notebook-dir="$ROOT" "${extra[@]}" "$@" "notebooks/00_orientation.ipynb"
