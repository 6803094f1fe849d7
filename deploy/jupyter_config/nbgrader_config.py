"""nbgrader settings every user's server on the course hub reads (students and instructors).

The *Assignments* tab (fetch, submit, fetch feedback) and ``nbgrader list`` use the exchange
folder here.  The instructor's own course folder (made by ``course class init``) has its
own ``nbgrader_config.py`` with the grading settings; it is read after this one.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "kratom-evidence")
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
if os.environ.get("JUPYTERHUB_USER"):
    # the hub's name for this user (containers all run as `jovyan`; the test as one account)
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
