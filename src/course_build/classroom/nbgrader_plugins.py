"""The course's pieces plugged into nbgrader (named in the course's ``nbgrader_config.py``).

* :class:`SandboxExecute` replaces nbgrader's ``Execute`` in autograding: the same
  preprocessor, but each submission's kernel is started by
  :class:`SandboxKernelManager` inside the bubblewrap sandbox of
  :mod:`course_build.classroom._sandbox`, with a memory cap, and talks to nbgrader
  over Unix sockets in a private folder that is made fresh for every kernel (so one
  submission cannot leave anything behind for the next).
* :class:`CourseClearSolutions` replaces nbgrader's ``ClearSolutions`` in
  ``generate_assignment``: solution blocks in code become the course's own placeholder
  (``answer = ...  # YOUR ANSWER HERE``, keeping the variable the check reads), made by
  the same function as ``course build student``, so there is one way to make the
  student edition.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from typing import Any

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, Execute
from traitlets import Bool, Integer

from course_build.classroom import _sandbox

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the grading sandbox (Unix-socket transport)."""

    memory_mb = Integer(_sandbox.DEFAULT_MEMORY_MB, help="Address-space cap of the kernel (MB).").tag(config=True)
    require_sandbox = Bool(True, help="Refuse to grade without bubblewrap.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_dir = tempfile.mkdtemp(prefix="course-kernel-")
        self.transport = "ipc"
        self.connection_file = f"{self._private_dir}/kernel.json"
        self.ip = f"{self._private_dir}/kernel-ipc"
        self.autorestart = False  # a kernel killed by its limits stays dead: that submission's cells error

    @property
    def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "course_build.classroom._sandbox", "{connection_file}"],
                display_name="Python 3 (course grading sandbox)",
                language="python",
                interrupt_mode="message",
                env={
                    _sandbox.ENV_MEMORY: str(int(self.memory_mb)),
                    _sandbox.ENV_REQUIRE: "1" if self.require_sandbox else "0",
                },
                metadata={"debugger": False},
            )
        return self._kernel_spec

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._private_dir, ignore_errors=True)

    def __del__(self) -> None:
        try:
            super().__del__()
        finally:
            shutil.rmtree(getattr(self, "_private_dir", ""), ignore_errors=True) if getattr(
                self, "_private_dir", None) else None


class SandboxExecute(Execute):
    """nbgrader's Execute preprocessor with the kernel in the grading sandbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)


class CourseClearSolutions(ClearSolutions):
    """nbgrader's ClearSolutions, but code answers become the course's placeholder."""

    def preprocess(self, nb: Any, resources: Any) -> Any:
        codes = [c.source for c in nb.cells if c.cell_type == "code"]
        self._later = {id(c): codes[i + 1:] for i, c in enumerate(c for c in nb.cells if c.cell_type == "code")}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
            from course_build.student import student_source

            cell.source = student_source(cell.source, later=self._later.get(id(cell), []),
                                         where=f"cell {cell.get('id', cell_index)}")
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


def release_preprocessors() -> list[type]:
    """nbgrader's ``generate_assignment`` preprocessors with the course's ClearSolutions."""
    from nbgrader.converters import GenerateAssignment

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    return [CourseClearSolutions if p is ClearSolutions else p for p in default]


def autograde_preprocessors() -> list[type]:
    """nbgrader's ``autograde`` preprocessors with the sandboxed Execute."""
    from nbgrader.converters import Autograde

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [SandboxExecute if p is Execute else p for p in default]


class HideHiddenTests(ClearHiddenTests):
    """Feedback for students: hidden tests removed from the code, and from error tracebacks.

    nbgrader's feedback shows the autograded notebook, hidden tests included, and a
    failed ``assert`` prints its line (with the expected value) in the traceback.  This
    keeps the error's name and message (``AssertionError: hidden test of 04.1``) only.
    """

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        had_hidden = HIDDEN_BEGIN in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
        return cell, resources


def feedback_preprocessors() -> list[type]:
    """nbgrader's ``generate_feedback`` preprocessors plus :class:`HideHiddenTests`."""
    from nbgrader.converters import GenerateFeedback

    default = GenerateFeedback.class_traits()["preprocessors"].default()
    return [default[0], HideHiddenTests, *default[1:]]
