"""The course data package: descriptor, files and a few published facts.

The descriptor ``datasets/datapackage.json`` is built by
``tools/build_datapackage.py`` from ``tools/dataset_meta/*.json``; the CSV files
are exported by ``tools/export_datasets.py``.  These tests check, offline:

* frictionless-py validates the package, reading every data row against its
  schema and checking each file's sha256 hash, byte count and row count;
* every resource has the properties the course relies on, every field a
  description, every coded value a declared category;
* the descriptor is what the build script would write now (not stale);
* the data reproduce counts published for them.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"
DESCRIPTOR = DATA / "datapackage.json"

REAL_DATASETS = {
    "nhefs", "nhefs_codebook", "btheb", "stress_anxiety", "addhealth", "strep_tb", "bcg", "ucb_admissions", "drug_use",
}
RESOURCE_REQUIRED = (
    "name", "title", "description", "path", "format", "mediatype", "encoding", "bytes", "hash", "rows",
    "sources", "citation", "licenses", "synthetic", "schema",
)


def _package() -> dict:
    return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))


def _resources() -> dict[str, dict]:
    return {res["name"]: res for res in _package()["resources"]}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


RESOURCE_NAMES = sorted(_resources())


# --------------------------------------------------------------------------- validation

@pytest.fixture(scope="module")
def report():
    frictionless = pytest.importorskip("frictionless")
    return frictionless.validate(str(DESCRIPTOR))


def test_frictionless_validates_package_and_data(report):
    problems = [
        f"{task.name}: {error.type}: {error.note}" for task in report.tasks for error in task.errors
    ] + [f"package: {error.type}: {error.note}" for error in report.errors]
    assert report.valid, "\n".join(problems)


def test_frictionless_read_every_row_of_every_resource(report):
    # validate() must have streamed the data, not only checked the metadata
    resources = _resources()
    assert {task.name for task in report.tasks} == set(resources)
    for task in report.tasks:
        assert task.stats["rows"] == resources[task.name]["rows"], task.name


def test_hash_mismatch_would_be_reported(tmp_path):
    """Guard against a frictionless version that silently ignores "hash"."""
    frictionless = pytest.importorskip("frictionless")
    resource = dict(_resources()["bcg"])
    resource["hash"] = "sha256:" + "0" * 64
    (tmp_path / "bcg.csv").write_bytes((DATA / "bcg.csv").read_bytes())
    package = {**_package(), "resources": [resource]}
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps(package), encoding="utf-8")
    report = frictionless.validate(str(descriptor))
    assert not report.valid
    assert "hash-count" in {error.type for task in report.tasks for error in task.errors}


def test_descriptor_is_up_to_date_with_fragments():
    spec = importlib.util.spec_from_file_location("build_datapackage", ROOT / "tools" / "build_datapackage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render(module.build())
    assert DESCRIPTOR.read_text(encoding="utf-8") == expected, (
        "datasets/datapackage.json is stale: run python tools/build_datapackage.py"
    )


# --------------------------------------------------------------------------- metadata

def test_package_level_properties():
    package = _package()
    assert package["name"] == "kratom-evidence-course-data"
    assert package["$schema"].startswith("https://datapackage.org/profiles/")
    for key in ("title", "description", "licenses", "contributors", "resources"):
        assert package.get(key), key


def test_expected_datasets_present():
    assert REAL_DATASETS <= set(_resources())


def test_expected_real_datasets_are_marked_real():
    resources = _resources()
    for name in REAL_DATASETS:
        assert resources[name]["synthetic"] is False, name
        assert resources[name].get("exportedFrom"), name


@pytest.mark.parametrize("name", RESOURCE_NAMES)
def test_resource_has_required_properties(name):
    resource = _resources()[name]
    missing = [key for key in RESOURCE_REQUIRED if key not in resource or resource[key] in ("", [], {}, None)]
    assert not missing, f"{name} lacks {missing}"
    assert isinstance(resource["synthetic"], bool)
    assert resource["path"] == f"{name}.csv"
    assert resource["hash"].startswith("sha256:")
    assert all(src.get("title") and src.get("path") for src in resource["sources"])
    assert all(lic.get("title") and (lic.get("name") or lic.get("path")) for lic in resource["licenses"])


@pytest.mark.parametrize("name", RESOURCE_NAMES)
def test_every_field_has_type_and_description(name):
    fields = _resources()[name]["schema"]["fields"]
    undocumented = [f["name"] for f in fields if not str(f.get("description", "")).strip() or not f.get("type")]
    assert not undocumented, f"{name}: fields without type/description: {undocumented}"


@pytest.mark.parametrize("name", RESOURCE_NAMES)
def test_csv_matches_descriptor(name):
    resource = _resources()[name]
    path = DATA / resource["path"]
    data = path.read_bytes()
    assert b"\r" not in data
    assert hashlib.sha256(data).hexdigest() == resource["hash"].split(":", 1)[1]
    assert len(data) == resource["bytes"]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = sum(1 for _ in reader)
    assert header == [f["name"] for f in resource["schema"]["fields"]]
    assert rows == resource["rows"]


@pytest.mark.parametrize("name", RESOURCE_NAMES)
def test_coded_values_are_declared_categories(name):
    resource = _resources()[name]
    default_missing = resource["schema"].get("missingValues", [""])
    rows = _rows(name)
    for field in resource["schema"]["fields"]:
        if not field.get("categories"):
            continue
        allowed = {str(c["value"]) if isinstance(c, dict) else str(c) for c in field["categories"]}
        missing = set(field.get("missingValues", default_missing))
        strays = {row[field["name"]] for row in rows} - allowed - missing
        assert not strays, f"{name}.{field['name']}: undeclared values {sorted(strays)}"


def test_every_csv_in_datasets_is_described():
    described = {res["path"] for res in _package()["resources"]}
    assert {p.name for p in DATA.glob("*.csv")} <= described


# --------------------------------------------------------------------------- published facts

def test_nhefs_has_1629_rows_and_1566_with_1982_weight():
    rows = _rows("nhefs")
    assert len(rows) == 1629
    assert sum(1 for r in rows if r["wt82"] != "") == 1566  # course reference R1


def test_strep_tb_counts_match_the_1948_report():
    # course reference R3: 55 streptomycin, 52 control; 4 vs 14 deaths
    rows = _rows("strep_tb")
    assert len(rows) == 107
    by_arm = {arm: [r for r in rows if r["arm"] == arm] for arm in ("Streptomycin", "Control")}
    assert {arm: len(group) for arm, group in by_arm.items()} == {"Streptomycin": 55, "Control": 52}
    deaths = {arm: sum(r["radiologic_6m"] == "1_Death" for r in group) for arm, group in by_arm.items()}
    assert deaths == {"Streptomycin": 4, "Control": 14}


def test_bcg_has_13_trials():
    rows = _rows("bcg")
    assert len(rows) == 13
    assert len({r["study"] for r in rows}) == 13


def test_stress_anxiety_has_166_women():
    assert len(_rows("stress_anxiety")) == 166


def test_ucb_admissions_counts_sum_to_4526_applicants():
    rows = _rows("ucb_admissions")
    assert len(rows) == 24
    assert sum(int(r["count"]) for r in rows) == 4526
    men = [r for r in rows if r["gender"] == "Male"]
    women = [r for r in rows if r["gender"] == "Female"]
    # figures quoted in the R help page
    assert sum(int(r["count"]) for r in men) == 2691
    assert sum(int(r["count"]) for r in men if r["admit"] == "Admitted") == 1198
    assert sum(int(r["count"]) for r in women) == 1835
    assert sum(int(r["count"]) for r in women if r["admit"] == "Admitted") == 557


def test_btheb_documents_which_follow_up_times_it_follows():
    resource = _resources()["btheb"]
    assert resource["exportedFrom"]["item"] == "HSAUR/BtheB"
    assert "2, 4, 6 and 8 months" in resource["description"]
    assert "2, 3, 5 and 8 months" in resource["description"]
    assert "Proudfoot" in resource["citation"] and "33(2):217" in resource["citation"]
    assert len(_rows("btheb")) == 100
