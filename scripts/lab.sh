#!/usr/bin/env bash
# Set everything up and open the course in JupyterLab.
#   bash scripts/lab.sh                 # opens a browser tab (on a desktop)
#   bash scripts/lab.sh --no-browser    # on a server: print the URL instead of opening a browser
#   bash scripts/lab.sh --port 9999     # other arguments go to `jupyter lab`
# On a machine without a display (a server, a container, SSH) --no-browser is the default.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
extra=()
if [ "$(id -u)" = "0" ]; then
  extra+=(--allow-root)  # containers and CI machines run as root; Jupyter refuses that without this flag
fi
if [ "$(uname -s)" = "Linux" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  case " $* " in *" --no-browser "*) ;; *) extra+=(--no-browser) ;; esac
fi
port=8888
given_port=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port=*) port="${args[$i]#--port=}"; given_port=1 ;;
    --port) port="${args[$((i + 1))]:-8888}"; given_port=1 ;;
  esac
done
[ -n "$given_port" ] || extra+=(--port="$port")
echo "== JupyterLab will serve http://127.0.0.1:${port}/lab (or the next free port); the full URL"
echo "   with its access token is printed below. Open it in a browser. Ctrl-C twice stops it."
exec "$ROOT/.venv/bin/jupyter" lab --ip=127.0.0.1 --notebook-dir="$ROOT" "${extra[@]}" "$@" \
  "notebooks/00_orientation.ipynb"
