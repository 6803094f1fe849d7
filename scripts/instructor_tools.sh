#!/usr/bin/env bash
# The instructor tools beyond Python packages (source it after setup.sh, do not run it):
# configurable-http-proxy from npm into .tools/node_modules (JupyterHub's proxy), and Debian's
# bubblewrap (the grading sandbox) when running as root. Used by scripts/instructor.sh and
# scripts/test.sh (the class-grading tests need both).
CHP_VERSION="5.3.0"
CHP="$ROOT/.tools/node_modules/.bin/configurable-http-proxy"
if [ ! -x "$CHP" ] || [ "$("$CHP" --version 2>/dev/null)" != "$CHP_VERSION" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== installing configurable-http-proxy $CHP_VERSION (npm) into .tools/"
    mkdir -p "$ROOT/.tools"
    npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund --loglevel=error \
      "configurable-http-proxy@$CHP_VERSION" >/dev/null \
      || echo "warning: could not install configurable-http-proxy; the hub will not start" >&2
  else
    echo "warning: npm (Node.js) is not installed; the JupyterHub proxy cannot be installed" >&2
  fi
fi
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing bubblewrap (Debian package) for the grading sandbox"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; then
      echo "warning: could not install bubblewrap; grading will refuse to run unsandboxed" >&2
    fi
  else
    echo "== bubblewrap is not installed (needs root: apt-get install bubblewrap); grading needs it"
  fi
fi
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
