"""JupyterHub for a class of the kratom-evidence course (one machine).

Start it from the course repository with ``bash scripts/instructor.sh hub`` (installs
JupyterHub, nbgrader and configurable-http-proxy first), or
``.venv/bin/jupyterhub -f deploy/jupyterhub_config.py``.  Everything is set by
environment variables so the same file serves a real class and the end-to-end test
(tests/test_class_hub.py):

=========================  =====================================  ===========================
variable                   meaning                                default
=========================  =====================================  ===========================
COURSE_HUB_IP / _PORT      where the hub listens                  0.0.0.0 / 8000
COURSE_HUB_AUTH            ``pam`` (the machine's accounts) or    pam
                           ``dummy`` (any password; tests only)
COURSE_HUB_USERS           comma-separated allowed users          (everyone PAM accepts)
COURSE_HUB_ADMINS          comma-separated instructors            (none)
COURSE_HUB_SPAWNER         ``local`` (each user's own Unix        local
                           account) or ``simple`` (one account,
                           homes under COURSE_HUB_HOMES; tests)
COURSE_HUB_HOMES           home folders of ``simple``             /tmp/course-hub-homes
COURSE_EXCHANGE            nbgrader's exchange folder             /srv/nbgrader/exchange
COURSE_ID                  nbgrader course id                     kratom-evidence
COURSE_HUB_SERVICE_TOKEN   API token of an admin service          (no service)
                           (automation, tests)
=========================  =====================================  ===========================

Students' servers run the course environment (this repository's ``.venv``, with the
course's ``python3`` kernel), open JupyterLab, and load ``deploy/jupyter_config/``:
nbgrader's exchange and course id, so the *Assignments* tab fetches and submits.
Hand out the student edition with nbgitpuller links (see deploy/README.md) or with
nbgrader's release.
"""

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it reads this file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent  # the course environment JupyterHub runs in
env = os.environ.get

c.JupyterHub.ip = env("COURSE_HUB_IP", "0.0.0.0")
c.JupyterHub.port = int(env("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("COURSE_HUB_API_PORT", "0")) or c.JupyterHub.port + 81
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(env('COURSE_HUB_PROXY_API_PORT', '0')) or c.JupyterHub.port + 1}"

# configurable-http-proxy from npm, installed into the project by scripts/instructor.sh
proxy = env("COURSE_HUB_PROXY") or str(ROOT / ".tools" / "node_modules" / ".bin" / "configurable-http-proxy")
if not Path(proxy).exists():
    proxy = shutil.which("configurable-http-proxy") or proxy
c.ConfigurableHTTPProxy.command = [proxy]

# who may log in
if env("COURSE_HUB_AUTH", "pam") == "dummy":
    c.JupyterHub.authenticator_class = "dummy"  # any password: for tests and demos only
else:
    c.JupyterHub.authenticator_class = "pam"
users = {u for u in env("COURSE_HUB_USERS", "").split(",") if u}
admins = {u for u in env("COURSE_HUB_ADMINS", "").split(",") if u}
if users:
    c.Authenticator.allowed_users = users | admins
else:
    c.Authenticator.allow_all = True
c.Authenticator.admin_users = admins

# how users' servers start: the course environment, JupyterLab, the course's kernel
if env("COURSE_HUB_SPAWNER", "local") == "simple":
    c.JupyterHub.spawner_class = "simple"  # every user under this account; homes under COURSE_HUB_HOMES
    homes = env("COURSE_HUB_HOMES", "/tmp/course-hub-homes")
    c.SimpleLocalProcessSpawner.home_dir_template = f"{homes}/{{username}}"
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.environment = {
    "PYTHONHASHSEED": "0",  # Restart & Run All reproduces the stored outputs
    "JUPYTER_PREFER_ENV_PATH": "1",  # the course environment's kernel wins
    "JUPYTER_CONFIG_PATH": str(HERE / "jupyter_config"),  # nbgrader exchange for the Assignments tab
    "COURSE_EXCHANGE": env("COURSE_EXCHANGE", "/srv/nbgrader/exchange"),
    "COURSE_ID": env("COURSE_ID", "kratom-evidence"),
    "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.mem_limit = env("COURSE_HUB_MEM_LIMIT", "2G")  # honoured by container spawners (Zero to JupyterHub)

# an admin service for automation (the end-to-end test drives the hub through it)
token = env("COURSE_HUB_SERVICE_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-automation", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "course-automation",
        "scopes": ["admin:users", "admin:servers", "admin:server_state", "access:servers", "list:users"],
        "services": ["course-automation"],
    }]

c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.db_url = env("COURSE_HUB_DB", "sqlite:///jupyterhub.sqlite")
