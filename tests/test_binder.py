"""Binder / JupyterHub readiness: ``binder/`` is what repo2docker reads.

* ``binder/requirements.txt`` is ``uv export`` of the lock (the library's packages, JupyterLab and the build and site tools,
  pinned and hashed); it must stay in sync with ``uv.lock``;
* ``binder/postBuild`` installs the course package (with its datasets) without
  changing the pins, and registers the ``python3`` kernel;
* ``binder/start`` sets the same hash seed as ``scripts/setup.sh``;
* ``binder/runtime.txt`` names a Python the project supports;
* and the recipe really works: a fresh environment made from those files imports the
  course, finds its data outside the repository, and has a ``python3`` kernel.

Regenerate the requirements after changing the lock with the command in the file's header.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import IN_CI, ROOT

BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
EXPORT = ["export", "--frozen", "--no-default-groups", "--group", "lab", "--group", "build", "--group", "site", "--no-emit-project", "--format", "requirements.txt"]
REGENERATE = "uv " + " ".join(EXPORT) + " -o binder/requirements.txt"


def _uv() -> str:
    for candidate in (shutil.which("uv"), str(ROOT / ".tools" / "bin" / "uv")):
        if candidate and Path(candidate).exists():
            return candidate
    message = "uv is needed to check binder/ against the lock; run `bash scripts/setup.sh` (it installs uv into .tools/)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _pins(text: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", text, re.M)}


def _lock() -> dict:
    return tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#    uv export") and not line.startswith("# This file"))


def test_requirements_are_the_lock_exported():
    uv = _uv()
    proc = subprocess.run([uv, *EXPORT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"uv export failed:\n{proc.stderr}"
    assert _body(proc.stdout) == _body(REQUIREMENTS.read_text(encoding="utf-8")), (
        f"binder/requirements.txt is out of sync with uv.lock; regenerate it with `{REGENERATE}`"
    )
    assert REGENERATE.replace(" -o binder/requirements.txt", "") in REQUIREMENTS.read_text(encoding="utf-8")


def test_requirements_pin_the_locked_versions_of_the_runtime_packages():
    """Independent of uv: every pin matches uv.lock, runtime dependencies are in, test tools are out."""
    pins = _pins(REQUIREMENTS.read_text(encoding="utf-8"))
    locked = {p["name"].lower(): p["version"] for p in _lock()["package"] if "version" in p}
    wrong = {name: (version, locked.get(name)) for name, version in pins.items() if locked.get(name) != version}
    assert not wrong, f"pins differ from uv.lock (pinned, locked): {wrong}; regenerate with `{REGENERATE}`"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in project["project"]["dependencies"]:
        name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()
        assert name in pins, f"runtime dependency {name} is missing from binder/requirements.txt"
    for test_only in ("pytest", "nbval", "playwright", "pytest-xdist"):
        assert test_only not in pins, f"{test_only} is a test tool; binder/ installs only what learners need"
    assert "course-utils" not in pins, "the course itself is installed by postBuild, not pinned"
    assert "--hash=sha256:" in REQUIREMENTS.read_text(encoding="utf-8"), "keep the hashes (pip checks them)"


def test_runtime_and_scripts():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt must read like python-3.11, not {runtime!r}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.search(r">=\s*(\d+)\.(\d+)", project["requires-python"])
    assert tuple(map(int, match.groups())) >= tuple(map(int, minimum.groups()))
    assert f"Programming Language :: Python :: {match.group(1)}.{match.group(2)}" in project["classifiers"]
    for name in ("postBuild", "start"):
        path = BINDER / name
        assert os.access(path, os.X_OK), f"binder/{name} must be executable (chmod +x; git keeps the bit)"
        assert path.read_text(encoding="utf-8").startswith("#!/bin/bash\n")
    post = (BINDER / "postBuild").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir --no-deps ." in post and "ipykernel install --sys-prefix --name python3" in post
    start = (BINDER / "start").read_text(encoding="utf-8")
    assert "export PYTHONHASHSEED=0" in start and start.rstrip().endswith('exec "$@"')
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "export PYTHONHASHSEED=0" in setup, "binder/start must set the hash seed scripts/setup.sh sets"


@pytest.mark.slow
def test_the_binder_recipe_builds_a_working_environment(tmp_path):
    """Replay repo2docker's steps with uv (from its cache, so no large download): install the
    pinned requirements, then the package as postBuild does, then use it from outside the repo."""
    uv = _uv()
    venv = tmp_path / "binder-env"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "COURSE_DATA_DIR"}}
    env["UV_PYTHON_DOWNLOADS"] = "never"

    def run(*args, cwd=ROOT, timeout=600):
        proc = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        return proc.stdout

    run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--python", str(python), "--require-hashes", "-r", str(REQUIREMENTS))
    # postBuild's two steps (pip is not in a uv venv; uv pip is the same install)
    run(uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(ROOT))
    run(str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
        "--display-name", "Python 3 (kratom-evidence course)")
    out = run(
        str(python), "-c",
        "import course_utils as cu, course_utils.datasets as d, jupyterlab, nbformat;"
        "print(d.data_dir().as_posix()); print(len(cu.list_datasets()) > 0)",
        cwd=tmp_path,
    )
    data_dir, has_data = out.split()
    assert "/site-packages/course_utils/_data" in data_dir, f"the installed package must carry its data, found {data_dir}"
    assert has_data == "True"
    specs = run(str(venv / "bin" / "jupyter"), "kernelspec", "list", cwd=tmp_path)
    assert re.search(rf"python3\s+{re.escape(str(venv))}", specs), f"no python3 kernel inside the Binder environment:\n{specs}"
    # the installed (not editable) package carries the site templates and the course command
    run(str(venv / "bin" / "course"), "build", "site", "--notebooks", str(ROOT / "notebooks"), "--out",
        str(tmp_path / "site"), cwd=tmp_path)
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "site" / "_static" / "mathjax" / "MathJax.js").exists()
