"""A newcomer can follow the README to the letter: every command it shows works as printed.

Every line of every ```bash block and every ```python block of README.md is run from the
repository root, except where running it here would be circular or is proven by another test;
those lines are listed in ``COVERED_ELSEWHERE`` with the test that proves them, and a line the
README shows that is neither run nor listed fails this test.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Lines shown in the README that this file does not run, and what proves them instead.
COVERED_ELSEWHERE = {
    "bash scripts/test.sh": "it is the command running this test; .ci/run runs exactly it (test_ci_runs_the_readme_test_command)",
    "bash scripts/course.sh build student": "tests/test_build_student.py builds the student edition of every lesson and runs it",
    "bash scripts/course.sh build site": "tests/test_site.py and tests/test_browser.py build both editions with `course build site`",
    "bash scripts/course.sh build site --edition instructor": "tests/test_site.py and tests/test_browser.py build both editions",
}


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _bash_lines() -> list[str]:
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def _run(command: str, timeout: float = 300, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_every_command_shown_is_run_or_accounted_for():
    handled = re.compile(r"^(git clone URL kratom-course && cd kratom-course|bash scripts/lab\.sh|bash scripts/course\.sh .+)$")
    unaccounted = [c for c in _bash_lines() if not handled.match(c) and c not in COVERED_ELSEWHERE]
    assert not unaccounted, (
        "README shows commands this test neither runs nor accounts for; run them here or add them "
        f"to COVERED_ELSEWHERE with the test that proves them: {unaccounted}"
    )
    assert "bash scripts/lab.sh" in _bash_lines() and "bash scripts/test.sh" in _bash_lines()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["exec bash scripts/test.sh"], commands


@pytest.mark.parametrize("command", [c for c in _bash_lines() if c.startswith("bash scripts/course.sh ") and c not in COVERED_ELSEWHERE])
def test_course_commands_work_from_the_repository_root(command):
    result = _run(command)
    assert result.returncode == 0, f"`{command}` failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert result.stdout.strip(), f"`{command}` printed nothing"
    if "datasets list" in command:
        assert "nhefs" in result.stdout and "synthetic_nsduh" in result.stdout
    if "verify" in command:
        assert "ok" in result.stdout.lower() or "verified" in result.stdout.lower()


def test_python_examples_run():
    for block in _blocks("python"):
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", block], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"README python example failed:\n{block}\n{result.stderr[-2000:]}"


def test_clone_command_is_real_apart_from_the_url(tmp_path):
    line = next(c for c in _bash_lines() if c.startswith("git clone"))
    assert "URL" in README.split(line)[0][-400:], "the README must say what to put in place of URL"
    command = line.replace("URL", str(ROOT)).replace("&& cd kratom-course", "&& cd kratom-course && git log -1 --format=%H")
    result = _run(command, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "kratom-course" / "scripts" / "lab.sh").is_file()
    assert (tmp_path / "kratom-course" / ".ci" / "run").is_file()


def test_first_run_time_is_stated():
    assert re.search(r"first run takes\s+about \w+ minutes", README, flags=re.I)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_lab_sh_serves_the_url_it_prints_without_a_browser(tmp_path):
    """``bash scripts/lab.sh`` as printed, on a machine without a display, plus a fixed port and token."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"), JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"))
    log_path = tmp_path / "lab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["bash", "scripts/lab.sh", "--port", str(port), f"--IdentityProvider.token={token}",
             "--ServerApp.port_retries=0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 240  # a loaded 2-core machine can take minutes
            status = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                                 headers={"Authorization": f"token {token}"})
                    with urllib.request.urlopen(req, timeout=5) as resp:
                        status = json.loads(resp.read())
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
                    time.sleep(0.5)
            text = log_path.read_text(errors="replace")
            assert status is not None, f"lab.sh did not serve on port {port}:\n{text[-3000:]}"
            assert f"http://127.0.0.1:{port}/lab" in text, "lab.sh must say the URL it serves"
            # without a display lab.sh passes --no-browser itself: Jupyter never tries to start one
            assert "runnable browser" not in text and "No web browser found" not in text, text[-2000:]
        finally:
            if proc.poll() is None:
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/shutdown", method="POST",
                                                 headers={"Authorization": f"token {token}"})
                    urllib.request.urlopen(req, timeout=10).close()
                except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
                    pass
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


def test_lab_sh_defaults_to_no_browser_without_a_display():
    script = (ROOT / "scripts" / "lab.sh").read_text(encoding="utf-8")
    assert 'extra+=(--no-browser)' in script and "DISPLAY" in script
