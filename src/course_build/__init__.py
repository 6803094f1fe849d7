"""Build tools for the course: student edition, website (and class grading).

Not part of the runtime library: a learner's lesson never imports this package.

Examples
--------
::

    course build student                      # -> build/student/
    course build site                         # student website -> build/site/index.html
    course build site --edition instructor    # solutions collapsed + instructor guide -> build/site-instructor/
"""

from course_build._common import PLACEHOLDER, SOLUTION_BEGIN, SOLUTION_END, BuildError, lesson_paths
from course_build.cli import add_cli, main
from course_build.site import add_figure_alt_text, build_site, mathjax_dir
from course_build.student import build_student, has_solution, is_check_cell, student_notebook, student_source

__all__ = [
    "BuildError",
    "SOLUTION_BEGIN",
    "SOLUTION_END",
    "PLACEHOLDER",
    "lesson_paths",
    "is_check_cell",
    "has_solution",
    "student_source",
    "student_notebook",
    "build_student",
    "build_site",
    "add_figure_alt_text",
    "mathjax_dir",
    "add_cli",
    "main",
]
