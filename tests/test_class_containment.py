"""Untrusted code stays contained (issue 11, item 4).

One class is graded with `course grade` (2 workers): a control student with the full
solution, and one student per attack, each hidden in exercise 90.1's answer cell
(exercise 90.2 answered correctly).  Each attack costs only its own submission's 90.1
point: the control keeps full marks, 90.2 still counts, the grader's files, the other
student's submission and the gradebook are untouched, and nothing got out.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from class_helpers import (
    FIXTURE_LESSON,
    course_env,
    fill,
    read_gradebook,
    require_instructor_tools,
    save_submission,
    scores,
    solution_answers,
    write_fixture_lesson,
)

pytestmark = pytest.mark.slow
NB_NAME = f"{FIXTURE_LESSON}.ipynb"
EX = ["90.1", "90.2"]


@pytest.fixture(scope="module")
def attack(tmp_path_factory: pytest.TempPathFactory) -> dict:
    require_instructor_tools()
    import nbformat

    from course_build.classroom.grade import grade
    from course_build.classroom.nbgrader_course import init_course

    tmp = tmp_path_factory.mktemp("contain")
    notebooks = tmp / "notebooks"
    write_fixture_lesson(notebooks)
    course = tmp / "course"
    init_course(course, lessons=["90"], notebooks=notebooks, progress=False)
    import subprocess
    import sys

    gen = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", FIXTURE_LESSON, "--force"],
                         cwd=course, capture_output=True, text=True, env=course_env())
    assert gen.returncode == 0, gen.stdout + gen.stderr
    release = nbformat.read(course / "release" / FIXTURE_LESSON / NB_NAME, as_version=4)
    answers = solution_answers(nbformat.read(course / "source" / FIXTURE_LESSON / NB_NAME, as_version=4))

    grader_file = tmp / "grader_secret.txt"  # stands for the grader's own files
    grader_file.write_text("original", encoding="utf-8")
    out = tmp / "grades.csv"

    # a listening socket on the host's loopback (where a hub's API would be)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    connections: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                connections.append(conn)
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()

    subs = tmp / "submissions"
    control = save_submission(subs, "control", fill(release, answers), NB_NAME)
    attacks = {
        "loop": "while True:\n    pass\nanswer_1 = 42",
        "stubborn_loop": "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\nanswer_1 = 42",
        "memory": "import numpy as np\nbig = np.ones(30 * 10**9 // 8)\nanswer_1 = 42",
        "socket_out": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\nanswer_1 = 42",
        "socket_host": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\nanswer_1 = 42",
        "write_outside": (
            f"for target in [{str(grader_file)!r}, {str(control)!r}, {str(out)!r}, {str(course / 'gradebook.db')!r}]:\n"
            "    try:\n"
            "        open(target, 'w').write('hacked')\n"
            "    except OSError as exc:\n"
            "        print(type(exc).__name__, exc)\n"
            "import os\n"
            f"answer_1 = 42 if not os.path.exists({str(tmp)!r}) and not os.path.exists('/root/.ssh') else 0"
        ),
        "read_source": (
            f"answer_1 = open({str(course / 'source' / FIXTURE_LESSON / NB_NAME)!r}).read()"
        ),
    }
    for name, code in attacks.items():
        save_submission(subs, name, fill(release, {**answers, "answer_90_1": code}), NB_NAME)
    control_before = control.read_bytes()
    results = grade("90", subs, out, course=course, workers=2, timeout=4, submission_timeout=45, progress=False)
    stop.set()
    server.close()
    return {"rows": read_gradebook(out), "results": {r.student: r for r in results}, "grader_file": grader_file,
            "control": control, "control_before": control_before, "connections": connections, "course": course}


def test_control_student_keeps_full_marks(attack: dict) -> None:
    row = attack["rows"]["control"]
    assert scores(row, EX) == [1.0, 1.0] and row["status"] == "graded"


def test_infinite_loop_times_out_and_costs_only_its_exercise(attack: dict) -> None:
    row = attack["rows"]["loop"]
    assert scores(row, EX) == [0.0, 1.0]  # interrupted after the per-cell timeout; later cells still ran
    assert row["status"] == "timed out"


def test_loop_that_ignores_interrupts_is_stopped(attack: dict) -> None:
    row = attack["rows"]["stubborn_loop"]
    assert row["status"] == "timed out" and float(row["total"]) == 0.0


def test_30_gb_allocation_fails_inside_the_memory_cap(attack: dict) -> None:
    row = attack["rows"]["memory"]
    assert scores(row, EX) == [0.0, 1.0] and row["status"] == "graded"


def test_no_network_out(attack: dict) -> None:
    assert scores(attack["rows"]["socket_out"], EX) == [0.0, 1.0]


def test_no_connection_to_the_hosts_loopback(attack: dict) -> None:
    assert scores(attack["rows"]["socket_host"], EX) == [0.0, 1.0]
    assert attack["connections"] == []


def test_cannot_write_outside_its_folder(attack: dict) -> None:
    # it ran to the end and could not even see the grader's folders
    assert scores(attack["rows"]["write_outside"], EX) == [1.0, 1.0]
    assert attack["grader_file"].read_text(encoding="utf-8") == "original"
    assert attack["control"].read_bytes() == attack["control_before"]
    assert not list(attack["course"].glob("gradebook.db")) or b"hacked" not in (
        attack["course"] / "gradebook.db").read_bytes()[:6]
    assert attack["rows"]["control"]["total"] == "2.0"


def test_instructor_source_is_invisible(attack: dict) -> None:
    assert scores(attack["rows"]["read_source"], EX) == [0.0, 1.0]
