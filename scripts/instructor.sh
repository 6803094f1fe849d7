#!/usr/bin/env bash
# Instructor commands: install the instructor tools, then run one.
#   bash scripts/instructor.sh                                   # install only
#   bash scripts/instructor.sh course class init class/          # any command, in the course environment
#   bash scripts/instructor.sh course grade 04 downloads/ --out grades.csv
#   bash scripts/instructor.sh hub                               # the class JupyterHub (deploy/)
# Installs the `instructor` dependency group (nbgrader, JupyterHub) from uv.lock, the proxy
# (npm) and bubblewrap (Debian, when root). See instructors/grading.md.
export COURSE_GROUPS="instructor"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$ROOT/scripts/instructor_tools.sh"
if [ "$#" -eq 0 ]; then
  echo "Instructor tools installed: $("$ROOT/.venv/bin/nbgrader" --version 2>/dev/null | tail -1), JupyterHub $("$ROOT/.venv/bin/jupyterhub" --version)."
  echo "Run them as: bash scripts/instructor.sh course class init DIR  (see instructors/grading.md)"
  exit 0
fi
if [ "$1" = "hub" ]; then
  shift
  exec "$ROOT/.venv/bin/jupyterhub" -f "$ROOT/deploy/jupyterhub_config.py" "$@"
fi
exec "$@"
