"""A real JupyterHub, tested end to end (issue 11, item 5).

The hub runs from deploy/jupyterhub_config.py on 127.0.0.1 with configurable-http-proxy
(npm), the dummy authenticator and the simple local-process spawner, three students and
nbgrader's exchange in a temporary folder.  The instructor (nbgrader commands in the
course folder made by `course class init`) releases lesson 04; through the hub and its
proxy each student's server fetches it with nbgrader's Assignments API; alice saves the
full solution and submits, bob a wrong answer and submits, carol does nothing.  The
instructor collects, autogrades (sandboxed), exports, and the exported scores are
checked.  Every process the test started is stopped, and checked to be gone.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from class_helpers import cells_by_id, course_env, fill, require_instructor_tools, solution_answers
from conftest import IN_CI, NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow
LESSON = "04_association_causation"
NB = f"{LESSON}.ipynb"
COURSE_ID = "kratom-evidence"
STUDENTS = ["alice", "bob", "carol"]
PROXY = ROOT / ".tools" / "node_modules" / ".bin" / "configurable-http-proxy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            return "State:\tZ" not in fh.read()
    except FileNotFoundError:
        return False


class Hub:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: object | None = None, timeout: float = 60) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()[:500]


def _nbgrader(course: Path, *args: str, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def test_hub_release_submit_collect_autograde_export(tmp_path: Path) -> None:
    require_instructor_tools()
    if not PROXY.exists():
        message = "configurable-http-proxy is not installed in .tools/ (scripts/test.sh installs it with npm)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    import nbformat

    from course_build.classroom.nbgrader_course import init_course

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    homes = tmp_path / "homes"
    homes.mkdir()
    course = tmp_path / "course"
    init_course(course, lessons=["04"], notebooks=NOTEBOOKS, exchange=str(exchange), progress=False)
    env = course_env()
    env.update(COURSE_EXCHANGE=str(exchange), COURSE_ID=COURSE_ID)

    # the instructor: release lesson 04, with the class roster in the gradebook
    _nbgrader(course, "generate_assignment", LESSON, "--force", env=env)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,last_name,first_name,email\n" + "".join(f"{s},,,\n" for s in STUDENTS), encoding="utf-8")
    _nbgrader(course, "db", "student", "import", str(roster), env=env)
    _nbgrader(course, "release_assignment", LESSON, "--force", env=env)

    port = _free_port()
    token = secrets.token_hex(16)
    hub_env = dict(env)
    hub_env.update(COURSE_HUB_IP="127.0.0.1", COURSE_HUB_PORT=str(port), COURSE_HUB_API_PORT=str(_free_port()),
                   COURSE_HUB_PROXY_API_PORT=str(_free_port()), COURSE_HUB_AUTH="dummy",
                   COURSE_HUB_USERS=",".join(STUDENTS), COURSE_HUB_SPAWNER="simple", COURSE_HUB_HOMES=str(homes),
                   COURSE_HUB_SERVICE_TOKEN=token)
    hubdir = tmp_path / "hub"
    hubdir.mkdir()
    log = open(hubdir / "hub.log", "w", encoding="utf-8")
    hub_proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                 str(ROOT / "deploy" / "jupyterhub_config.py")],
                                cwd=hubdir, env=hub_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{port}", token)
    pids: set[int] = {hub_proc.pid}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, _ = hub.call("GET", "/hub/api/users", timeout=5)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            assert hub_proc.poll() is None, (hubdir / "hub.log").read_text()
            assert time.monotonic() < deadline, "hub did not start:\n" + (hubdir / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
        proxy_pid = int((hubdir / "jupyterhub-proxy.pid").read_text().strip())
        pids.add(proxy_pid)

        for user in STUDENTS:
            status, _ = hub.call("POST", f"/hub/api/users/{user}/server")
            assert status in (201, 202), (status, _)
        for user in STUDENTS:
            deadline = time.monotonic() + 180
            while True:
                status, info = hub.call("GET", f"/hub/api/users/{user}")
                server = (info or {}).get("servers", {}).get("", {}) if isinstance(info, dict) else {}
                if server.get("ready"):
                    pids.add(int(server["state"]["pid"]))
                    break
                assert time.monotonic() < deadline, f"{user}'s server did not start:\n" + (hubdir / "hub.log").read_text()[-3000:]
                time.sleep(0.5)

        # students, through the hub's proxy: list and fetch the released lesson
        for user in STUDENTS:
            status, listed = hub.call("GET", f"/user/{user}/assignments?course_id={COURSE_ID}")
            assert status == 200, listed
            assert [a["assignment_id"] for a in listed["value"]] == [LESSON]
            status, fetched = hub.call("POST", f"/user/{user}/assignments/fetch",
                                       {"course_id": COURSE_ID, "assignment_id": LESSON})
            assert status == 200 and fetched["success"], fetched
        status, contents = hub.call("GET", f"/user/alice/api/contents/{LESSON}/{NB}")
        assert status == 200, contents
        release = nbformat.from_dict(contents["content"])
        assert "HIDDEN" not in json.dumps(contents["content"])  # students never see the hidden tests
        right = solution_answers(nbformat.read(course / "source" / LESSON / NB, as_version=4))
        answers = {"alice": right, "bob": {**right, "answer_04_2": "crude_or_men = 0.54",
                                           "answer_04_3": 'collider = "kratom use"'}}
        for user, ans in answers.items():
            nb = fill(release, ans)
            assert cells_by_id(nb)["answer_04_1"].source != cells_by_id(release)["answer_04_1"].source
            status, _ = hub.call("PUT", f"/user/{user}/api/contents/{LESSON}/{NB}",
                                 {"type": "notebook", "format": "json", "content": nb})
            assert status in (200, 201), _
            status, submitted = hub.call("POST", f"/user/{user}/assignments/submit",
                                         {"course_id": COURSE_ID, "assignment_id": LESSON})
            assert status == 200 and submitted["success"], submitted

        # the instructor: collect, autograde in the sandbox, export
        _nbgrader(course, "collect", LESSON, env=env)
        assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice", "bob"]
        _nbgrader(course, "autograde", LESSON, env=env)
        _nbgrader(course, "export", "--to", str(tmp_path / "grades.csv"), env=env)
        with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as fh:
            rows = {r["student_id"]: r for r in csv.DictReader(fh)}
        assert {s: float(rows[s]["score"]) for s in STUDENTS} == {"alice": 4.0, "bob": 2.0, "carol": 0.0}
        assert {float(rows[s]["max_score"]) for s in STUDENTS} == {4.0}

        for user in STUDENTS:
            status, _ = hub.call("DELETE", f"/hub/api/users/{user}/server")
            assert status in (202, 204), _
    finally:
        hub_proc.terminate()
        try:
            hub_proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub_proc.pid, 9)
            hub_proc.wait()
        log.close()
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftover = [p for p in pids if _alive(p)]
        for p in leftover:
            os.kill(p, 9)
    assert leftover == [], f"processes still running after the hub stopped: {leftover}"
