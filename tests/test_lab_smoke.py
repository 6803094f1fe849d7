"""JupyterLab, for real: start it the way ``scripts/lab.sh`` does and use it.

``scripts/lab.sh`` ends with (``extra`` holds ``--allow-root`` when run as root)::

    exec "$ROOT/.venv/bin/jupyter" lab --ip=127.0.0.1 --notebook-dir="$ROOT" "${extra[@]}" "$@" \\
      "notebooks/00_orientation.ipynb"

This test runs that command (after set-up, which the test command has already done;
re-running set-up here would reinstall the kernel spec under the feet of the other test
worker), adding what a careful user passes: ``--no-browser``, loopback only
(127.0.0.1), a throwaway token and a free port.  Through the Jupyter server's REST API it
checks that the lessons are listed and that a ``python3`` kernel -- the course's own --
starts; it runs the orientation lesson's setup cell and first exercise with its check over
the kernel's websocket; then it shuts the server down, with a bound on every wait.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, ROOT, lesson_paths, read_nb
from course_build import has_solution, is_check_cell

pytestmark = pytest.mark.slow

ORIENTATION = NOTEBOOKS / "00_orientation.ipynb"
LAB_EXEC_LINE = 'exec "$ROOT/.venv/bin/jupyter" lab --ip=127.0.0.1 --notebook-dir="$ROOT" "${extra[@]}" "$@" \\\n  "notebooks/00_orientation.ipynb"'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 15) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")


def test_lab_command_is_the_one_lab_sh_runs():
    script = (ROOT / "scripts" / "lab.sh").read_text(encoding="utf-8")
    assert LAB_EXEC_LINE in script, (
        "scripts/lab.sh no longer ends with the command this smoke test reproduces; "
        "update LAB_EXEC_LINE and the command in tests/test_lab_smoke.py to match it"
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not ORIENTATION.exists():
        pytest.fail(f"{ORIENTATION.relative_to(ROOT)} is missing: scripts/lab.sh opens it")
    jupyter = Path(sys.executable).with_name("jupyter")
    assert jupyter.exists(), f"{jupyter} is missing; run `bash scripts/setup.sh`"
    home = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        JUPYTER_PREFER_ENV_PATH="1",  # as scripts/setup.sh exports
        PYTHONHASHSEED="0",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        JUPYTER_CONFIG_DIR=str(home / "config"),  # no user configuration leaks in, nothing is written to ~
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        PATH=f"{jupyter.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    command = [
        str(jupyter), "lab", "--ip=127.0.0.1", f"--notebook-dir={ROOT}",
        "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--ServerApp.shutdown_no_activity_timeout=600",
        "notebooks/00_orientation.ipynb",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # as lab.sh does for root: Jupyter refuses to start as root without it (CI runs as root)
        command.insert(3, "--allow-root")
    log_path = home / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Lab(f"http://127.0.0.1:{port}", token)

    def log_tail() -> str:
        log.flush()
        return log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode} while starting:\n{log_tail()}")
            try:
                status, _ = server.request("GET", "/api/status", timeout=5)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on 127.0.0.1:{port} within 90 s:\n{log_tail()}")
            time.sleep(0.5)
        server.proc, server.log_tail = proc, log_tail
        yield server
    finally:
        if proc.poll() is None:
            try:
                server.request("POST", "/api/shutdown", timeout=10)
            except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        log.close()


def test_lab_serves_on_loopback_only_and_requires_the_token(lab):
    assert lab.base.startswith("http://127.0.0.1:")
    wrong = Lab(lab.base, "not-the-token")
    status, _ = wrong.request("GET", "/api/contents/notebooks")
    assert status == 403, f"a wrong token must be refused, got HTTP {status}"
    status, page = lab.request("GET", "/lab")
    assert status == 200 and "JupyterLab" in str(page), f"/lab did not load (HTTP {status})"


def test_lessons_are_listed(lab):
    status, listing = lab.request("GET", "/api/contents/notebooks")
    assert status == 200, f"listing notebooks/ failed: HTTP {status} {listing}"
    names = {item["name"] for item in listing["content"]}
    missing = [p.name for p in lesson_paths() if p.name not in names]
    assert not missing, f"JupyterLab does not list {missing}"
    status, model = lab.request("GET", "/api/contents/notebooks/00_orientation.ipynb")
    assert status == 200 and model["type"] == "notebook", "the orientation lesson does not open as a notebook"


def _execute(ws, session: str, code: str, timeout: float = 90) -> tuple[dict, str, list]:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "smoke-test", "session": session, "msg_type": "execute_request",
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    stdout, errors, reply, idle = "", [], None, False
    deadline = time.monotonic() + timeout
    while reply is None or not idle:
        if time.monotonic() > deadline:
            pytest.fail(f"no reply from the kernel within {timeout} s for:\n{code}")
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "stream" and msg["content"]["name"] == "stdout":
            stdout += msg["content"]["text"]
        elif kind == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "execute_reply":
            reply = msg["content"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True  # all output of this request has arrived
    return reply, stdout, errors


def test_python3_kernel_starts_and_runs_the_orientation_lesson(lab):
    import websocket

    status, specs = lab.request("GET", "/api/kernelspecs")
    assert status == 200 and "python3" in specs["kernelspecs"], f"no python3 kernel spec: {specs}"
    status, kernel = lab.request("POST", "/api/kernels", {"name": "python3"}, timeout=60)
    assert status == 201, f"starting a python3 kernel failed: HTTP {status} {kernel}\n{lab.log_tail()}"
    nb = read_nb(ORIENTATION)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    setup = code_cells[0]
    exercise_index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and has_solution(c))
    check_cell = next(c for c in nb.cells[exercise_index + 1 :] if c.cell_type == "code")
    assert is_check_cell(check_cell)
    expected = "".join(o.get("text", "") for o in check_cell.outputs if o.output_type == "stream")
    ws_url = lab.base.replace("http://", "ws://") + f"/api/kernels/{kernel['id']}/channels"
    ws = websocket.create_connection(ws_url, header=[f"Authorization: token {lab.token}"], timeout=30)
    try:
        session = uuid.uuid4().hex
        reply, prefix, errors = _execute(ws, session, "import sys; print(sys.prefix)")
        assert prefix.strip() == sys.prefix, (
            f"the python3 kernel runs in {prefix.strip()!r}, not in the course's environment {sys.prefix!r}; "
            "scripts/setup.sh installs it with `ipykernel install --sys-prefix`"
        )
        for cell in (setup, nb.cells[exercise_index]):
            reply, _, errors = _execute(ws, session, cell.source)
            assert reply["status"] == "ok" and not errors, f"the cell failed in JupyterLab's kernel:\n{cell.source}\n{errors}"
        reply, stdout, errors = _execute(ws, session, check_cell.source)
        assert reply["status"] == "ok" and not errors, f"the check failed in JupyterLab's kernel: {errors}"
        assert stdout == expected, f"the check printed {stdout!r}; the stored output is {expected!r}"
    finally:
        ws.close()
        status, _ = lab.request("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
        assert status == 204, f"shutting the kernel down failed: HTTP {status}"


def test_server_shuts_down_cleanly(lab):
    status, _ = lab.request("POST", "/api/shutdown", timeout=15)
    assert status == 200, f"POST /api/shutdown answered HTTP {status}"
    try:
        code = lab.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"JupyterLab was still running 30 s after /api/shutdown:\n{lab.log_tail()}")
    assert code == 0, f"JupyterLab exited with code {code}:\n{lab.log_tail()}"
