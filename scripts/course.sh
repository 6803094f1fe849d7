#!/usr/bin/env bash
# Run the course's `course` command from the repository root without activating anything:
#   bash scripts/course.sh datasets list
#   bash scripts/course.sh datasets info nhefs
#   bash scripts/course.sh build student
# It sets up the environment first (as lab.sh and test.sh do), quietly if it is already there.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" >/dev/null
exec "$ROOT/.venv/bin/course" "$@"
