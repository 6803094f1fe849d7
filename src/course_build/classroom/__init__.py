"""Running a class: an nbgrader course from the lessons, sandboxed grading, a CSV gradebook.

* :mod:`~course_build.classroom.nbgrader_course` -- ``course class init DIR``
* :mod:`~course_build.classroom.grade` -- ``course grade LESSON SUBMISSIONS --out FILE.csv``
* :mod:`~course_build.classroom._sandbox` -- the bubblewrap grading kernel
* :mod:`~course_build.classroom.nbgrader_plugins` -- the pieces named in ``nbgrader_config.py``

These need the ``instructor`` dependency group (``bash scripts/instructor.sh``).
"""
