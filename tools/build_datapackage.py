"""Assemble ``datasets/datapackage.json`` from the hand-written metadata fragments.

Every file ``tools/dataset_meta/<name>.json`` describes one CSV file
``datasets/<name>.csv`` as a Frictionless Data Package (v2) resource without
the parts that can be computed.  This script checks each fragment against its
CSV, adds the computed parts and writes one descriptor:

* ``path`` (``<name>.csv``), ``format`` ("csv"), ``mediatype`` ("text/csv"),
  ``encoding`` ("utf-8");
* ``bytes`` and ``hash`` (``"sha256:<hex>"``, the form frictionless-py 5
  reads and checks when it validates a package);
* ``rows``: the number of data rows (header excluded), which frictionless-py 5
  also checks.

It stops with an error, and writes nothing, when

* a fragment lacks a required property (``name``, ``title``, ``description``,
  ``sources``, ``citation``, ``licenses``, ``synthetic``, ``schema``) or sets one
  of the computed properties itself;
* a schema field lacks ``name``, ``type`` or ``description``;
* the CSV header and the schema fields differ (names or order), or the CSV is
  missing, is not UTF-8, has ``\\r`` line endings or has rows of the wrong length;
* a CSV file in ``datasets/`` has no fragment.

Usage (standard library only, any Python >= 3.10)::

    python tools/build_datapackage.py          # (re)write datasets/datapackage.json
    python tools/build_datapackage.py --check  # exit 1 if the file is out of date

Fragments are processed in name order and the output is stable (2-space
indent, UTF-8, trailing newline), so running it twice changes nothing.  Add a
dataset, real or synthetic, by dropping its CSV into ``datasets/`` and its
fragment into ``tools/dataset_meta/`` (see ``tools/README.md``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
META_DIR = ROOT / "tools" / "dataset_meta"
DATA_DIR = ROOT / "datasets"
DESCRIPTOR = "datapackage.json"

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
REQUIRED = ("name", "title", "description", "sources", "citation", "licenses", "synthetic", "schema")
COMPUTED = ("path", "format", "mediatype", "encoding", "bytes", "hash", "rows")
FIELD_REQUIRED = ("name", "type", "description")
FIELD_TYPES = {
    "string", "number", "integer", "boolean", "date", "time", "datetime", "year", "yearmonth",
    "duration", "geopoint", "geojson", "object", "array", "list", "any",
}

PACKAGE = {
    "$schema": PROFILE,
    "name": "kratom-evidence-course-data",
    "title": "Data for the course 'Kratom, depression and stress: judging the evidence with data'",
    "description": (
        "Every dataset used by the course notebooks, as plain CSV files described by this Frictionless Data"
        " Package. Real datasets (\"synthetic\": false) are public teaching and research data exported, offline and"
        " unchanged except for column names, from pinned Python packages that ship them (see each resource's"
        " exportedFrom and tools/export_datasets.py). Synthetic datasets (\"synthetic\": true) are simulated for"
        " teaching and describe no real people. Each resource records its source, the citation of the original"
        " study, its licence terms, the lesson that uses it, and a data dictionary with units and category labels."
    ),
    "licenses": [
        {
            "name": "per-resource",
            "title": "No single licence: each resource keeps the terms of its source, recorded in that resource's"
                     " own licenses property. The course's code (MIT) and lesson text (CC BY 4.0) licences do not"
                     " apply to these data.",
        }
    ],
    "contributors": [{"title": "Course developers", "roles": ["creator"]}],
    "keywords": ["epidemiology", "causal inference", "depression", "teaching", "open data"],
}


class BuildError(Exception):
    """A fragment or CSV file is not in a state that can be published."""


def _load_fragment(path: Path) -> dict[str, Any]:
    try:
        fragment = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{path.name}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(fragment, dict):
        raise BuildError(f"{path.name}: must hold one JSON object (a resource)")
    return fragment


def _check_fragment(path: Path, fragment: dict[str, Any]) -> list[str]:
    problems = []
    missing = [key for key in REQUIRED if key not in fragment or fragment[key] in (None, "", [], {})]
    if "synthetic" in missing and fragment.get("synthetic") is False:
        missing.remove("synthetic")
    if missing:
        problems.append(f"missing required propert{'y' if len(missing) == 1 else 'ies'}: {', '.join(missing)}")
    if fragment.get("name") not in (None, path.stem):
        problems.append(f"name {fragment.get('name')!r} differs from the file name {path.stem!r}")
    computed = [key for key in COMPUTED if key in fragment]
    if computed:
        problems.append(f"sets computed propert{'y' if len(computed) == 1 else 'ies'} {', '.join(computed)}:"
                        " (remove; the build computes it)")
    if "synthetic" in fragment and not isinstance(fragment["synthetic"], bool):
        problems.append('"synthetic" must be true or false')
    for key in ("title", "description", "citation"):
        if key in fragment and not isinstance(fragment[key], str):
            problems.append(f'"{key}" must be a string')
    for key, needed in (("sources", ("title", "path")), ("licenses", ("title",))):
        items = fragment.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f'"{key}" must be a list')
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f'"{key}"[{index}] must be an object')
                continue
            absent = [n for n in needed if not item.get(n)]
            if key == "licenses" and not (item.get("name") or item.get("path")):
                absent.append("name or path")
            if absent:
                problems.append(f'"{key}"[{index}] lacks {", ".join(absent)}')
    schema = fragment.get("schema")
    if schema is not None:
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(fields, list) or not fields:
            problems.append('"schema" must be an object with a non-empty "fields" list')
        else:
            names = []
            for index, field in enumerate(fields):
                label = field.get("name", f"#{index}") if isinstance(field, dict) else f"#{index}"
                if not isinstance(field, dict):
                    problems.append(f"field {label} must be an object")
                    continue
                names.append(field.get("name"))
                absent = [k for k in FIELD_REQUIRED if not field.get(k)]
                if absent:
                    problems.append(f"field {label!r} lacks {', '.join(absent)}")
                if field.get("type") and field["type"] not in FIELD_TYPES:
                    problems.append(f"field {label!r} has unknown type {field['type']!r}")
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                problems.append(f"duplicate field names: {', '.join(map(str, duplicates))}")
    return problems


def _inspect_csv(path: Path, fields: list[str]) -> tuple[int, int, str, list[str]]:
    """Return (rows, bytes, sha256, problems) for one CSV file."""
    data = path.read_bytes()
    problems = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 0, len(data), "", [f"{path.name} is not UTF-8 ({exc})"]
    if text.startswith("\ufeff"):
        problems.append(f"{path.name} starts with a byte-order mark; write plain UTF-8")
    if "\r" in text:
        problems.append(f"{path.name} contains \\r characters; use \\n line endings")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return 0, len(data), "", [f"{path.name} is empty"]
    if header != fields:
        absent = [f for f in fields if f not in header]
        extra = [h for h in header if h not in fields]
        detail = []
        if extra:
            detail.append(f"CSV columns without a schema field: {extra}")
        if absent:
            detail.append(f"schema fields without a CSV column: {absent}")
        if not detail:
            detail.append(f"same names in a different order; CSV order is {header}")
        problems.append(f"{path.name} header does not match the schema: " + "; ".join(detail))
    rows = 0
    for line_number, row in enumerate(reader, start=2):
        rows += 1
        if len(row) != len(header):
            problems.append(f"{path.name} line {line_number} has {len(row)} fields, the header has {len(header)}")
            break
    return rows, len(data), hashlib.sha256(data).hexdigest(), problems


def _resource(fragment: dict[str, Any], rows: int, size: int, digest: str) -> dict[str, Any]:
    name = fragment["name"]
    resource: dict[str, Any] = {"name": name}
    for key in ("title", "description"):
        resource[key] = fragment[key]
    resource.update({
        "path": f"{name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": f"sha256:{digest}",
        "rows": rows,
    })
    for key, value in fragment.items():
        if key not in resource:
            resource[key] = value
    return resource


def build(meta_dir: Path = META_DIR, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Return the package descriptor, or raise BuildError listing every problem found."""
    problems: list[str] = []
    fragments = sorted(meta_dir.glob("*.json"), key=lambda p: p.stem)
    if not fragments:
        raise BuildError(f"no metadata fragments in {meta_dir}")
    resources = []
    for path in fragments:
        fragment = _load_fragment(path)
        found = [f"{path.name}: {p}" for p in _check_fragment(path, fragment)]
        problems += found
        fields = (fragment.get("schema") or {}).get("fields") if isinstance(fragment.get("schema"), dict) else None
        if not isinstance(fields, list) or not all(isinstance(f, dict) and f.get("name") for f in fields):
            continue  # already reported; the CSV cannot be compared with a broken schema
        csv_path = data_dir / f"{path.stem}.csv"
        if not csv_path.is_file():
            problems.append(f"{path.name}: data file {csv_path} does not exist")
            continue
        rows, size, digest, csv_problems = _inspect_csv(csv_path, [field["name"] for field in fields])
        problems += [f"{path.name}: {p}" for p in csv_problems]
        if not found and not csv_problems:
            resources.append(_resource(fragment, rows, size, digest))
    stems = {path.stem for path in fragments}
    for csv_path in sorted(data_dir.glob("*.csv")):
        if csv_path.stem not in stems:
            problems.append(f"{csv_path.name} has no metadata fragment tools/dataset_meta/{csv_path.stem}.json")
    if problems:
        raise BuildError("\n".join(problems))
    return {**PACKAGE, "resources": resources}


def render(package: dict[str, Any]) -> str:
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build datasets/datapackage.json from tools/dataset_meta/*.json.")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the descriptor is out of date")
    args = parser.parse_args(argv)
    try:
        text = render(build())
    except BuildError as exc:
        print(f"build_datapackage: cannot build {DESCRIPTOR}:\n{exc}", file=sys.stderr)
        return 2
    target = DATA_DIR / DESCRIPTOR
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{target} is out of date: run python tools/build_datapackage.py", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    if current == text:
        print(f"{target} unchanged")
    else:
        target.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
