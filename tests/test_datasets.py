"""The datasets layer: loading, typing, metadata, and clear errors on bad input.

Error paths run on a tiny data package written to a temporary folder, so the
real files are never touched; the real package is checked in the last tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import course_utils as cu
from course_utils import datasets

ROOT = Path(__file__).resolve().parents[1]

MINI_CSV = "id,group,smoker,score\n1,0,yes,3.5\n2,1,no,\n3,1,yes,-9\n4,0,,2.0\n"


def _write_package(folder: Path, csv_text: str = MINI_CSV, *, hash_of: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mini.csv").write_text(csv_text, encoding="utf-8")
    digest = hashlib.sha256((hash_of if hash_of is not None else csv_text).encode()).hexdigest()
    descriptor = {
        "name": "mini",
        "resources": [
            {
                "name": "mini",
                "path": "mini.csv",
                "title": "A tiny test table",
                "hash": f"sha256:{digest}",
                "rows": 4,
                "synthetic": True,
                "citation": "Made up for the tests.",
                "sources": [{"title": "tests/test_datasets.py"}],
                "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0"}],
                "schema": {
                    "missingValues": [""],
                    "fields": [
                        {"name": "id", "type": "integer", "description": "row id"},
                        {
                            "name": "group",
                            "type": "integer",
                            "description": "arm",
                            "categories": [{"value": 0, "label": "control"}, {"value": 1, "label": "treated"}],
                        },
                        {"name": "smoker", "type": "boolean", "description": "smokes",
                         "trueValues": ["yes"], "falseValues": ["no"]},
                        {"name": "score", "type": "number", "description": "a score", "unit": "points",
                         "missingValues": ["", "-9"]},
                    ],
                },
            }
        ],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def _clear_caches() -> None:
    datasets._read_descriptor.cache_clear()
    datasets._checked.cache_clear()


@pytest.fixture
def use_package(monkeypatch):
    """Point the datasets layer at a tiny package: ``use_package(folder)``; caches reset after."""

    def use(folder: Path) -> Path:
        monkeypatch.setenv(datasets.ENV_VAR, str(folder))
        _clear_caches()
        return folder

    yield use
    _clear_caches()


@pytest.fixture
def mini(tmp_path, use_package):
    return use_package(_write_package(tmp_path / "data"))


def test_load_types_columns_from_the_schema(mini):
    df = cu.load("mini")
    assert df["id"].dtype == "Int64"
    assert list(df["group"].cat.categories) == ["control", "treated"]
    assert df["group"].tolist() == ["control", "treated", "treated", "control"]
    assert df["smoker"].dtype == "boolean"
    assert df["smoker"].tolist()[:2] == [True, False] and pd.isna(df["smoker"][3])
    # "-9" is this column's missing-value code, and the empty field is missing too
    assert df["score"].isna().tolist() == [False, True, True, False]
    assert df.attrs["synthetic"] is True and df.attrs["name"] == "mini"


def test_codes_keeps_numeric_codes(mini):
    assert cu.load("mini", codes=True)["group"].tolist() == [0, 1, 1, 0]


def test_names_are_case_insensitive(mini):
    assert len(cu.load(" MINI ")) == 4


def test_unknown_name_lists_valid_names_and_suggests(mini):
    with pytest.raises(datasets.DatasetNotFound) as info:
        cu.load("minni")
    message = str(info.value)
    assert "No dataset named 'minni'" in message
    assert "Did you mean 'mini'" in message
    assert "Valid names: mini" in message
    assert isinstance(info.value, KeyError)


def test_hash_mismatch_names_file_expected_and_actual(tmp_path, use_package):
    use_package(_write_package(tmp_path / "data", hash_of="something else"))
    expected = hashlib.sha256(b"something else").hexdigest()
    actual = hashlib.sha256(MINI_CSV.encode()).hexdigest()
    with pytest.raises(datasets.DataIntegrityError) as info:
        cu.load("mini")
    message = str(info.value)
    assert "mini.csv" in message and expected in message and actual in message
    assert "git checkout -- datasets/" in message
    with pytest.raises(datasets.DataIntegrityError, match=expected):
        cu.verify()
    report = cu.verify(raise_on_error=False)
    assert not report.loc["mini", "ok"]


def test_missing_file_says_which_and_how_to_restore(mini):
    (mini / "mini.csv").unlink()
    with pytest.raises(datasets.DataIntegrityError) as info:
        cu.load("mini")
    assert "mini.csv" in str(info.value) and "is missing" in str(info.value)
    assert "tools/README.md" in str(info.value)
    with pytest.raises(datasets.DataIntegrityError, match="actual missing"):
        cu.verify()


def test_corrupted_value_is_reported_with_its_row(tmp_path, use_package):
    bad = MINI_CSV.replace("3.5", "three")
    use_package(_write_package(tmp_path / "data", bad))
    with pytest.raises(datasets.DataIntegrityError, match=r"'score'.*not numbers: 'three' \(rows 2"):
        cu.load("mini")


def test_unexpected_category_code_is_an_error(tmp_path, use_package):
    use_package(_write_package(tmp_path / "data", MINI_CSV.replace("2,1,no", "2,7,no")))
    with pytest.raises(datasets.DataIntegrityError, match="'group'.*coded categories: '7'"):
        cu.load("mini")


def test_column_missing_from_file_is_named(tmp_path, use_package):
    use_package(_write_package(tmp_path / "data", MINI_CSV.replace("score", "scor")))
    with pytest.raises(datasets.DataIntegrityError, match=r"missing columns \['score'\], unexpected columns \['scor'\]"):
        cu.load("mini")


def test_missing_descriptor_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "nowhere"))
    monkeypatch.setattr(datasets, "__file__", str(tmp_path / "pkg" / "course_utils" / "datasets.py"))
    with pytest.raises(datasets.DataIntegrityError, match="Cannot find datapackage.json; looked in"):
        datasets.data_dir()


def test_describe_and_cite(mini):
    table = cu.describe("mini")
    assert table.loc["group", "categories"] == "0 = control; 1 = treated"
    assert table.loc["score", "unit"] == "points"
    assert table.loc["score", "missing"] == "'', '-9'"
    text = cu.cite("mini")
    assert "SYNTHETIC" in text and "Made up for the tests." in text and "CC0 1.0" in text


def test_list_datasets_marks_synthetic(mini):
    table = cu.list_datasets()
    assert table.loc["mini", "kind"] == "synthetic"
    assert table.loc["mini", "rows"] == 4


# ------------------------------------------------------------------ the real package

REAL = ["nhefs", "btheb", "stress_anxiety", "addhealth", "strep_tb", "bcg", "ucb_admissions", "drug_use"]


def test_every_real_dataset_loads_and_matches_its_row_count():
    table = cu.list_datasets()
    for name in REAL:
        assert table.loc[name, "kind"] == "real"
        df = cu.load(name)
        assert len(df) == table.loc[name, "rows"], name
        assert df.attrs["synthetic"] is False


def test_every_synthetic_dataset_says_so_in_name_and_citation():
    table = cu.list_datasets()
    for name in table.index[table["kind"] == "synthetic"]:
        assert name.startswith("synthetic_"), name
        assert "SYNTHETIC" in cu.cite(name)


def test_verify_passes_on_the_shipped_files():
    assert cu.verify()["ok"].all()


@pytest.mark.timing
def test_loads_are_fast_in_a_warm_process():
    for name in cu.list_datasets().index:
        cu.load(name)  # warm: imports done, hashes checked once
        timings = []
        for _ in range(3):
            # CPU time of this process, best of three: other processes on a busy CI machine
            # (nbval kernels on the other worker) must not decide the result.
            start = time.process_time()
            cu.load(name)
            timings.append(time.process_time() - start)
        assert min(timings) < 0.1, f"load({name!r}) took {min(timings) * 1000:.0f} ms of CPU time"


def test_data_found_from_any_working_directory(tmp_path):
    code = "import course_utils as cu; print(len(cu.load('bcg')))"
    env = {k: v for k, v in os.environ.items() if k != datasets.ENV_VAR}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "13"


def test_loading_works_with_network_sockets_disabled(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _clear_caches()
    for name in cu.list_datasets().index:
        assert len(cu.load(name)) > 0
    assert cu.verify()["ok"].all()
