"""Unit tests of the grading sandbox's command line and of the hidden-test writer (fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_build.classroom._sandbox import _SAFE_ENV, bwrap_command
from course_build.classroom.nbgrader_course import Exercise, exercise_of, find_exercises, grade_id, hidden_test


def _pairs(cmd: list[str], flag: str) -> list[tuple[str, str]]:
    return [(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a == flag]


def test_bwrap_command_isolates_the_kernel() -> None:
    cmd = bwrap_command(["python3", "-m", "ipykernel_launcher", "-f", "/r/k.json"], workdir="/g/autograded/s/04",
                        runtime_dir="/r", readonly=["/opt/venv", "/usr/lib/python3"])
    for flag in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session",
                 "--clearenv"):
        assert flag in cmd
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL"
    # writable: the submission's folder and the kernel's socket folder, nothing else
    assert _pairs(cmd, "--bind") == [("/r", "/r"), ("/g/autograded/s/04", "/g/autograded/s/04")]
    assert ("/opt/venv", "/opt/venv") in _pairs(cmd, "--ro-bind")
    assert ("/usr", "/usr") in _pairs(cmd, "--ro-bind")
    assert cmd[cmd.index("--tmpfs") + 1] == "/tmp"
    assert cmd[cmd.index("--chdir") + 1] == "/g/autograded/s/04"
    assert cmd[cmd.index("--") + 1:] == ["python3", "-m", "ipykernel_launcher", "-f", "/r/k.json"]
    # only the safe environment reaches the kernel: no tokens of the grader's
    set_vars = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--setenv"]
    assert set(set_vars) == set(_SAFE_ENV)


def test_launcher_refuses_to_grade_without_bubblewrap(tmp_path: Path) -> None:
    conn = tmp_path / "kernel.json"
    conn.write_text(json.dumps({"transport": "ipc", "ip": str(tmp_path / "k")}), encoding="utf-8")
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "COURSE_SANDBOX_REQUIRE": "1"}  # no bwrap on PATH
    proc = subprocess.run([sys.executable, "-m", "course_build.classroom._sandbox", str(conn)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 3
    assert "bubblewrap (bwrap) is not installed" in proc.stderr and "apt-get install bubblewrap" in proc.stderr


def test_launcher_refuses_tcp_transport(tmp_path: Path) -> None:
    """TCP on 127.0.0.1 would need the host's network inside the sandbox: refused."""
    conn = tmp_path / "kernel.json"
    conn.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1"}), encoding="utf-8")
    env = dict(os.environ, COURSE_SANDBOX_REQUIRE="1")
    proc = subprocess.run([sys.executable, "-m", "course_build.classroom._sandbox", str(conn)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 3 and "transport is not ipc" in proc.stderr


@pytest.mark.parametrize(
    ("expected", "tol", "lines"),
    [
        ({"kind": "number", "value": 2.5}, 0.01, ['assert abs(float(x) - 2.5) <= 0.01, "hidden test of 04.1"']),
        ({"kind": "bool", "value": False}, None,
         ["assert type(x).__name__ in ('bool', 'bool_') and bool(x) is False, \"hidden test of 04.1\""]),
        ({"kind": "str", "value": " Took part "}, None,
         ['assert isinstance(x, str) and x.strip().casefold() == \'took part\', "hidden test of 04.1"']),
        ({"kind": "seq", "value": [{"kind": "number", "value": 1.0}, {"kind": "str", "value": "a"}]}, 0.1,
         ['assert len(x) == 2, "hidden test of 04.1"', 'assert abs(float(x[0]) - 1.0) <= 0.1, "hidden test of 04.1"',
          'assert isinstance(x[1], str) and x[1].strip().casefold() == \'a\', "hidden test of 04.1"']),
        ({"kind": "other", "type": "DataFrame"}, None, []),
    ],
)
def test_hidden_tests_compare_with_plain_python(expected: dict, tol: float | None, lines: list[str]) -> None:
    ex = Exercise("04.1", "x", tol=tol, expected=expected)
    assert hidden_test(ex) == lines
    assert all("check" not in line and "course_utils" not in line for line in lines)


def test_hidden_tests_work_and_fail() -> None:
    ex = Exercise("04.1", "x", tol=0.005, expected={"kind": "number", "value": 2.206})
    code = "\n".join(hidden_test(ex))
    exec(code, {"x": 2.2041})  # within the tolerance
    with pytest.raises(AssertionError, match="hidden test of 04.1"):
        exec(code, {"x": 1 / 2.206})
    with pytest.raises(TypeError):
        exec(code, {"x": ...})  # unanswered


def test_grade_ids_round_trip() -> None:
    assert grade_id("10.2", "check") == "check_10_2" and exercise_of("check_10_2") == "10.2"
    assert exercise_of("cell_abc") is None


def test_find_exercises_in_engine_format() -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    answer = new_code_cell("### BEGIN SOLUTION\ny = 3\n### END SOLUTION")
    answer.metadata["course"] = {"exercise": "90.1", "role": "answer"}
    checkc = new_code_cell('check("90.1", y)')
    checkc.metadata["course"] = {"exercise": "90.1", "role": "check"}
    nb = new_notebook(cells=[new_code_cell("x = 1"), answer, checkc])
    (ex,) = find_exercises(nbformat.from_dict(nb), "90")
    assert (ex.id, ex.answer_expr, ex.answer_cell, ex.check_cell, ex.points) == ("90.1", "y", 1, 2, 1.0)


def test_instructor_hidden_tests_are_read_from_their_own_folder(tmp_path: Path) -> None:
    from course_build.classroom.nbgrader_course import _extra_hidden

    (tmp_path / "04.json").write_text(json.dumps({"04.4": ["assert 0 < n_backdoor < 10"]}), encoding="utf-8")
    extra = _extra_hidden("04", tmp_path)
    assert extra == {"04.4": ["assert 0 < n_backdoor < 10"]}
    ex = Exercise("04.4", "n_backdoor", tol=0.4, expected={"kind": "number", "value": 4.0}, extra_hidden=extra["04.4"])
    assert hidden_test(ex)[-1] == "assert 0 < n_backdoor < 10"
    assert _extra_hidden("05", tmp_path) == {}


def test_readonly_paths_under_tmp_are_mounted_after_the_throwaway_tmp() -> None:
    # A course checked out under /tmp (a CI clone) must stay visible inside the sandbox:
    # bubblewrap mounts in order, so its read-only binds must follow the tmpfs on /tmp.
    from course_build.classroom._sandbox import bwrap_command

    cmd = bwrap_command(["python3"], workdir="/tmp/w", runtime_dir="/tmp/r", readonly=["/tmp/ci/main/.venv"])
    assert cmd.index("--tmpfs") < cmd.index("/tmp/ci/main/.venv") < cmd.index("--chdir")
