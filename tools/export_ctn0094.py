"""Export the CTN-0094 trial tables the course needs as ``datasets/ctn0094_*.csv``.

What it does
------------
Reads the R data files (``data/*.rda``) of two CRAN packages that hold the
harmonised, de-identified individual-level data of three NIDA Clinical Trials
Network trials of treatment for opioid use disorder (CTN-0027 "START",
CTN-0030 "POATS", CTN-0051 "X:BOT"; 3,560 people):

* ``public.ctn0094data`` 1.0.6 (CRAN 2023-10-01; github.com/cran/public.ctn0094data
  commit 37bb5667c704f34eedac0e39b8efeb224126968b), MIT licence;
* ``public.ctn0094extra`` 1.0.4 (CRAN 2023-11-22; github.com/cran/public.ctn0094extra
  commit c2bc534bf417a57b5ad7495b807a34d9c02152ce), MIT licence, derived tables;

and writes one CSV per table in the same plain format as
``tools/export_datasets.py`` (UTF-8, ``\\n``, header row, missing values as an
empty field, whole numbers without ``.0``).  R factors are written as their
level text; columns are renamed only where the R name is not lower_snake_case
(the fragment records ``originalName``).  No value is edited, imputed or
invented.  Rows keep the order of the R table.

One table is summarised rather than copied: the timeline follow-back table
``tlfb`` (237,778 person-days) becomes ``ctn0094_drug_use``, one row per person
and substance with the number of self-reported use days before consent (the
baseline recall window), from consent on, in total, and the first and last such
day.  The raw day-level table would add about 3.5 MB and would be slow to load;
the summary keeps every person-substance pair and every day count.

The hand-written metadata (descriptions in our own words from the packages'
``man/*.Rd`` pages, categories, provenance, citations) is in
``tools/dataset_meta/ctn0094_*.json``.  After export, this script checks that
every value of every coded column is a declared category of its fragment, and
``tools/build_datapackage.py`` checks header and schema and writes the
descriptor.

How to run it (not needed at course run time: the CSV files are committed)
------------------------------------------------------------------------
    .tools/bin/uv sync --group export-ctn0094      # adds rdata (tool-only group)
    .venv/bin/python tools/export_ctn0094.py        # reads /work/shared/data or --source
    python tools/build_datapackage.py

``--source DIR`` names the folder that holds ``ctn0094/`` and ``ctn0094extra/``
(each an unpacked package with ``DESCRIPTION`` and ``data/``).  The script
refuses package versions other than the pinned ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "datasets"
META_DIR = ROOT / "tools" / "dataset_meta"
DEFAULT_SOURCE = Path("/work/shared/data")
PINNED = {"ctn0094": ("public.ctn0094data", "1.0.6"), "ctn0094extra": ("public.ctn0094extra", "1.0.4")}

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_datasets import to_csv_text  # noqa: E402  (same CSV format as the other real datasets)


def _description_field(path: Path, key: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"{path}: no {key} field")


def check_versions(source: Path) -> None:
    for folder, (package, version) in PINNED.items():
        desc = source / folder / "DESCRIPTION"
        if not desc.exists():
            raise SystemExit(f"{desc} not found: pass --source DIR holding ctn0094/ and ctn0094extra/")
        found = (_description_field(desc, "Package"), _description_field(desc, "Version"))
        if found != (package, version):
            raise SystemExit(f"{desc}: found {found[0]} {found[1]}, this export is pinned to {package} {version}")


def read_rda(source: Path, folder: str, item: str):
    """One data frame from ``<source>/<folder>/data/<item>.rda``."""
    import rdata

    with warnings.catch_warnings():
        # rdata falls back from the tibble classes to data.frame and says so; harmless.
        warnings.simplefilter("ignore", UserWarning)
        objects = rdata.read_rda(str(source / folder / "data" / f"{item}.rda"))
    if item not in objects:
        raise SystemExit(f"{item}.rda holds {sorted(objects)}, not {item}")
    frame = objects[item].reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _plain(frame):
    """Factors to their level text, integer-valued floats stay numbers (the CSV writer drops ``.0``)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def drug_use_summary(tlfb):
    """Per person and substance: self-reported use days before consent, from consent on, in total."""
    import pandas as pd

    frame = tlfb.assign(what=tlfb["what"].astype(str), when=tlfb["when"].astype(float))
    grouped = frame.groupby(["who", "what"], sort=True)
    summary = pd.DataFrame({
        "days_before_consent": grouped["when"].apply(lambda w: int((w < 0).sum())),
        "days_from_consent": grouped["when"].apply(lambda w: int((w >= 0).sum())),
        "days_total": grouped["when"].size(),
        "first_day": grouped["when"].min(),
        "last_day": grouped["when"].max(),
    }).reset_index()
    summary = summary.rename(columns={"what": "substance"})
    if int(summary["days_total"].sum()) != len(tlfb):
        raise SystemExit("drug_use summary lost rows: day counts do not add up to the tlfb table")
    return summary


# name -> (folder, R item, renames, transform)
EXPORTS: dict[str, tuple[str, str, dict[str, str], Callable[[Any], Any] | None]] = {
    "ctn0094_everybody": ("ctn0094", "everybody", {}, None),
    "ctn0094_demographics": ("ctn0094", "demographics", {}, None),
    "ctn0094_site": ("ctn0094", "site_masked", {}, None),
    "ctn0094_randomization": ("ctn0094", "randomization", {}, None),
    "ctn0094_treatment": ("ctn0094", "treatment", {}, None),
    "ctn0094_psychiatric": ("ctn0094", "psychiatric", {}, None),
    "ctn0094_iv_use": ("ctn0094", "asi", {}, None),
    "ctn0094_pain": ("ctn0094", "pain", {}, None),
    "ctn0094_withdrawal": ("ctn0094", "withdrawal", {}, None),
    "ctn0094_drug_use": ("ctn0094", "tlfb", {}, drug_use_summary),
    "ctn0094_weekly_use": (
        "ctn0094extra", "derived_weeklyOpioidPattern",
        {"startWeek": "start_week", "randWeek1": "rand_week1", "randWeek2": "rand_week2", "endWeek": "end_week",
         "Baseline": "baseline", "Phase_1": "phase_1", "Phase_2": "phase_2"},
        None,
    ),
    "ctn0094_weekly_tlfb": (
        "ctn0094extra", "derived_weeklyTLFBPattern",
        {"startWeek": "start_week", "randWeek1": "rand_week1", "randWeek2": "rand_week2", "endWeek": "end_week",
         "Baseline": "baseline", "Phase_1": "phase_1", "Phase_2": "phase_2"},
        None,
    ),
}


def export_one(name: str, source: Path):
    folder, item, renames, transform = EXPORTS[name]
    frame = read_rda(source, folder, item)
    if transform is not None:
        frame = transform(frame)
    unknown = set(renames) - set(frame.columns)
    if unknown:
        raise SystemExit(f"{name}: columns to rename not found: {sorted(unknown)}")
    frame = _plain(frame.rename(columns=renames))
    return frame


def check_categories(name: str, frame) -> list[str]:
    """Every value of a coded or yes/no column must be declared in the fragment."""
    path = META_DIR / f"{name}.json"
    if not path.exists():
        return [f"{name}: no fragment {path.relative_to(ROOT)}"]
    fragment = json.loads(path.read_text(encoding="utf-8"))
    fields = fragment["schema"]["fields"]
    problems = []
    if [f["name"] for f in fields] != list(frame.columns):
        problems.append(f"{name}: fragment fields {[f['name'] for f in fields]} != columns {list(frame.columns)}")
    missing = set(fragment["schema"].get("missingValues", [""]))
    for field in fields:
        if field["name"] not in frame.columns:
            continue
        allowed = None
        if field.get("categories"):
            allowed = {str(c["value"]) for c in field["categories"]}
        elif field["type"] == "boolean":
            allowed = set(field.get("trueValues", [])) | set(field.get("falseValues", []))
        if allowed is None:
            continue
        values = {str(v) for v in frame[field["name"]].dropna().unique()}
        strays = values - allowed - missing
        if strays:
            problems.append(f"{name}.{field['name']}: undeclared values {sorted(strays)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="datasets to export (default: all)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="folder holding ctn0094/ and ctn0094extra/ (default: %(default)s)")
    args = parser.parse_args(argv)
    check_versions(args.source)
    names = args.names or list(EXPORTS)
    unknown = [n for n in names if n not in EXPORTS]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(EXPORTS)}")
    problems: list[str] = []
    for name in names:
        frame = export_one(name, args.source)
        problems += check_categories(name, frame)
        text = to_csv_text(frame)
        (OUT_DIR / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        print(f"{name}: {len(frame)} rows, {len(text.encode('utf-8')) / 1e6:.2f} MB")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
