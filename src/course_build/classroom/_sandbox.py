"""The grading kernel: a student's notebook runs in a bubblewrap sandbox with limits.

nbgrader executes each submission with a Jupyter kernel.  The course's grading kernel
(``course-sandbox``) is an ordinary IPython kernel started through this launcher, which

* sets resource limits inherited by everything the notebook starts: address space
  (the memory cap; a 30 GB ``numpy`` allocation raises ``MemoryError``), file size,
  CPU time, no core dumps;
* starts the kernel inside `bubblewrap <https://github.com/containers/bubblewrap>`_
  (Debian package ``bubblewrap``) with a new network namespace (no route out; a
  socket to anywhere fails), new PID/IPC/UTS namespaces, every capability dropped,
  an empty environment except a few safe variables, and a file system where the
  system, the Python environment and the course's package are read-only, ``/tmp``
  is a throwaway tmpfs, and the **only writable folder is the submission's own
  working copy** (nbgrader's ``autograded/STUDENT/LESSON`` copy).  The course folder
  (source with hidden tests, gradebook, other students' work) is not even visible;
* talks to nbgrader over Unix sockets (``KernelManager.transport = "ipc"``) in a
  private runtime folder, since TCP on 127.0.0.1 does not cross network namespaces.

The per-cell timeout is nbgrader's ``Execute.timeout``; interrupts are sent as Jupyter
messages (``interrupt_mode: message``) so they reach the kernel inside the sandbox.

Run as ``python -m course_build.classroom._sandbox CONNECTION_FILE`` (the kernelspec
written by :func:`write_kernelspec` does this).

>>> cmd = bwrap_command(["python3", "-m", "ipykernel_launcher"], workdir="/tmp/w", runtime_dir="/tmp/r",
...                     readonly=["/opt/venv"])
>>> "--unshare-net" in cmd and cmd[cmd.index("--chdir") + 1] == "/tmp/w"
True
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

KERNEL_NAME = "course-sandbox"
#: Environment variables read by the launcher (set in the kernelspec's ``env``).
ENV_MEMORY = "COURSE_SANDBOX_MEMORY_MB"
ENV_REQUIRE = "COURSE_SANDBOX_REQUIRE"  # "1": refuse to run without bubblewrap
ENV_READONLY = "COURSE_SANDBOX_READONLY"  # os.pathsep-separated extra read-only folders
DEFAULT_MEMORY_MB = 2048
#: Largest file a notebook may write (bytes); CPU seconds for the whole kernel.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_CPU_SECONDS = 1800

_SAFE_ENV = {
    "HOME": "/tmp",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NBGRADER_EXECUTION": "autograde",
}


def bwrap_path() -> str | None:
    """The ``bwrap`` executable, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def bwrap_works() -> bool:
    """True when bubblewrap is installed and can create the namespaces grading needs.

    It can be installed but unusable (e.g. unprivileged user namespaces disabled in a
    container); then grading refuses to run unless the instructor allows it unsandboxed.
    """
    import subprocess

    exe = bwrap_path()
    if exe is None:
        return False
    probe = [exe, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--cap-drop", "ALL",
             "--die-with-parent", "true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _course_readonly_paths() -> list[str]:
    """Folders the kernel must read: the Python environment, the installed course packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    import course_utils  # noqa: PLC0415 - the package the notebooks import

    pkg = Path(course_utils.__file__).resolve().parent
    paths.add(str(pkg.parent))  # src/ (editable install) or site-packages
    data = pkg.parents[1] / "datasets"  # a source checkout keeps the data next to src/
    if data.is_dir():
        paths.add(str(data))
    extra = os.environ.get(ENV_READONLY, "")
    paths.update(p for p in extra.split(os.pathsep) if p)
    return sorted(p for p in paths if p and Path(p).exists())


def bwrap_command(
    kernel_argv: Sequence[str],
    *,
    workdir: str,
    runtime_dir: str,
    readonly: Sequence[str] = (),
    bwrap: str = "bwrap",
) -> list[str]:
    """The bubblewrap command line that runs ``kernel_argv`` contained.

    Parameters
    ----------
    kernel_argv : sequence of str
        The kernel's own command (``python -m ipykernel_launcher -f FILE``).
    workdir : str
        The submission's working copy: the only writable folder, and the kernel's cwd.
    runtime_dir : str
        Holds the connection file and the kernel's Unix sockets (writable).
    readonly : sequence of str
        Further folders bound read-only (the Python environment, the course package).
    """
    cmd = [bwrap]
    root_entries = {"usr": "/usr", "etc": "/etc"}
    cmd += ["--ro-bind", root_entries["usr"], "/usr", "--ro-bind", root_entries["etc"], "/etc"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            cmd += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            cmd += ["--ro-bind", str(top), str(top)]
    # /proc, /dev and the throwaway /tmp first: bubblewrap mounts in order, so the read-only
    # environment must come after the tmpfs, or a course checked out under /tmp (as a CI clone
    # may be) would vanish beneath it.
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in readonly:
        if not (path == "/usr" or path.startswith("/usr/")):
            cmd += ["--ro-bind", path, path]
    cmd += [
        "--bind", runtime_dir, runtime_dir,
        "--bind", workdir, workdir,
        "--chdir", workdir,
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname", "grading-sandbox",
        "--clearenv",
    ]
    for key, value in _SAFE_ENV.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", *kernel_argv]
    return cmd


def _set_limits(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (MAX_CPU_SECONDS, MAX_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: Sequence[str] | None = None) -> int:
    """Kernel launcher: ``python -m course_build.classroom._sandbox CONNECTION_FILE``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m course_build.classroom._sandbox CONNECTION_FILE [KERNEL ARGS]", file=sys.stderr)
        return 2
    connection_file = str(Path(args[0]).resolve())
    # options nbgrader passes to the kernel (e.g. --HistoryManager.hist_file=:memory:), once each
    extra = [a for a in dict.fromkeys(args[1:]) if a.startswith("--") and "=" in a
             and not a.startswith("--HistoryManager.hist_file=")]
    with open(connection_file, encoding="utf-8") as fh:
        transport = json.load(fh).get("transport")
    workdir = os.getcwd()
    kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file,
                   "--HistoryManager.hist_file=:memory:", *extra]
    exe = bwrap_path()
    require = os.environ.get(ENV_REQUIRE, "1") == "1"
    if exe is None or transport != "ipc":
        why = "bubblewrap (bwrap) is not installed" if exe is None else "the kernel transport is not ipc"
        if require:
            print(f"error: cannot sandbox the grading kernel: {why}. Install bubblewrap "
                  "(apt-get install bubblewrap) or, knowing the risk, set "
                  f"{ENV_REQUIRE}=0 to grade with resource limits only.", file=sys.stderr)
            return 3
        print(f"warning: grading WITHOUT a sandbox ({why}); resource limits only.", file=sys.stderr)
        _set_limits(int(os.environ.get(ENV_MEMORY, DEFAULT_MEMORY_MB)))
        os.execv(kernel_argv[0], kernel_argv)
    cmd = bwrap_command(kernel_argv, workdir=workdir, runtime_dir=str(Path(connection_file).parent),
                        readonly=_course_readonly_paths(), bwrap=exe)
    _set_limits(int(os.environ.get(ENV_MEMORY, DEFAULT_MEMORY_MB)))
    os.execv(exe, cmd)
    return 0  # pragma: no cover - execv does not return


def write_kernelspec(data_dir: str | os.PathLike, *, memory_mb: int = DEFAULT_MEMORY_MB,
                     require_sandbox: bool = True) -> Path:
    """Write the ``course-sandbox`` kernelspec under ``data_dir/kernels/`` (a Jupyter data dir).

    Returns the kernelspec folder.  Add ``data_dir`` to ``JUPYTER_PATH`` so that nbgrader
    finds it (the course's ``nbgrader_config.py`` does).
    """
    folder = Path(data_dir) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "course_build.classroom._sandbox", "{connection_file}"],
        "display_name": "Python 3 (course grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "env": {ENV_MEMORY: str(int(memory_mb)), ENV_REQUIRE: "1" if require_sandbox else "0"},
        "metadata": {"debugger": False},
    }
    text = json.dumps(spec, indent=1) + "\n"
    target = folder / "kernel.json"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return folder


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
