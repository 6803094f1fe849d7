"""Package-level promises: cheap import, flat API, the `course` command."""

import subprocess
import sys

import pytest

from course_utils import cli


def test_import_does_not_pull_in_heavy_libraries():
    code = (
        "import sys, course_utils, course_utils.simulate\n"
        "heavy = [m for m in ('statsmodels', 'seaborn', 'scipy', 'matplotlib', 'networkx') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import course_utils imported: {out.stdout.strip()}"


def test_flat_api():
    import course_utils as cu

    for name in ["load", "list_datasets", "describe", "cite", "verify", "make_result"]:
        assert callable(getattr(cu, name))
        assert name in cu.__all__


def test_cli_datasets_list_and_info(capsys):
    assert cli.main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "nhefs" in out and "real" in out
    assert cli.main(["datasets", "info", "bcg"]) == 0
    assert "Cite:" in capsys.readouterr().out


def test_cli_verify(capsys):
    assert cli.main(["datasets", "verify"]) == 0
    assert "match their sha256 hashes" in capsys.readouterr().out


def test_cli_unknown_dataset_is_a_clear_error(capsys):
    assert cli.main(["datasets", "info", "nhfes"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'nhefs'" in err


def test_console_script_is_installed():
    exe = (sys.executable.rsplit("/", 1)[0]) + "/course"
    out = subprocess.run([exe, "datasets", "--help"], capture_output=True, text=True, check=True)
    assert "verify" in out.stdout


def test_cli_requires_a_command():
    with pytest.raises(SystemExit):
        cli.main([])
