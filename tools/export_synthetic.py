"""Write the SYNTHETIC NSDUH-like survey to ``datasets/synthetic_nsduh.csv`` and its metadata fragment.

The CSV is made by :func:`course_utils.simulate.nsduh_like` with its defaults
(60,000 respondents, the course seed, ``kratom_effect = 0``), so a learner can
re-create it exactly with ``nsduh_like()``.  The metadata fragment
``tools/dataset_meta/synthetic_nsduh.json`` is written from the generator's own
constants (causal diagram, true effect, calibration targets with citations,
assumptions) so the descriptor cannot drift from the code.  Both outputs are
byte-for-byte deterministic.

Usage (from the repository root, in the project venv)::

    python tools/export_synthetic.py            # write CSV + fragment
    python tools/export_synthetic.py --check    # exit 1 if either file is stale
    python tools/build_datapackage.py           # then rebuild datasets/datapackage.json
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from course_utils.seeding import COURSE_SEED  # noqa: E402
# the package re-exports the function nsduh_like, which hides the module of the same name
model = importlib.import_module("course_utils.simulate.nsduh_like")

NAME = "synthetic_nsduh"
CSV_PATH = ROOT / "datasets" / f"{NAME}.csv"
META_PATH = ROOT / "tools" / "dataset_meta" / f"{NAME}.json"
N = 60_000

YES_NO = "1 = yes, 0 = no."

FIELDS: list[dict] = [
    {"name": "QUESTID2", "type": "integer", "description": "Respondent identifier (synthetic, 1..60000). NSDUH name.",
     "constraints": {"unique": True, "required": True}},
    {"name": "VESTR_C", "type": "integer",
     "description": "Variance stratum (synthetic codes 1..50). NSDUH 2021+ name for the stratum (2015-2019: VESTR; "
     "2020: VESTRQ1Q4_C)."},
    {"name": "VEREP", "type": "integer",
     "description": "Variance PSU within its stratum (1 or 2); PSUs are nested in strata. NSDUH name."},
    {"name": "ANALWT2_C", "type": "number", "unit": "persons represented",
     "description": "Analysis weight: the number of (synthetic) adults this respondent stands for; sums to "
     "250,000,000. Young adults were oversampled, so their weights are smaller. NSDUH 2021+ name (2015-2019: "
     "ANALWT_C; 2020: ANALWTQ1Q4_C)."},
    {"name": "CATAG6", "type": "integer", "description": "Age group (NSDUH CATAG6 codes; adults only, so no code 1 = 12-17).",
     "categories": [{"value": k, "label": v} for k, v in model.AGE_GROUPS.items()], "categoriesOrdered": True},
    {"name": "IRSEX", "type": "integer", "description": "Sex (NSDUH IRSEX codes).",
     "categories": [{"value": 1, "label": "male"}, {"value": 2, "label": "female"}]},
    {"name": "child_adversity", "type": "integer",
     "description": "High childhood adversity (course variable; NSDUH has no counterpart). " + YES_NO},
    {"name": "chronic_pain", "type": "integer",
     "description": "Chronic pain (course variable; NSDUH has no direct counterpart). " + YES_NO},
    {"name": "depression_history", "type": "integer",
     "description": "A major depressive episode before the past 12 months (course variable: the 'earlier "
     "depression' that drives self-medication; NSDUH's lifetime MDE, AMDELT, includes the past year). " + YES_NO},
    {"name": "cannabis_py", "type": "integer",
     "description": "Past-year cannabis use (course name; the NSDUH item name was not verified). " + YES_NO},
    {"name": "opioid_misuse_py", "type": "integer",
     "description": "Past-year opioid misuse (course name; the NSDUH item name was not verified). " + YES_NO},
    {"name": "opioid_ud_py", "type": "integer",
     "description": "Past-year opioid use disorder; only among people with misuse (course name; the NSDUH item "
     "name was not verified). " + YES_NO},
    {"name": "kratom_py", "type": "integer",
     "description": "Past-year kratom use (course name; NSDUH asks about kratom from 2019, but the item names were "
     "not verified). " + YES_NO},
    {"name": "AMDEYR", "type": "integer",
     "description": "Past-year major depressive episode, adults (NSDUH name; the real file codes 1 = yes, 2 = no, "
     "recoded here). " + YES_NO},
    {"name": "KSSLR6MON", "type": "integer", "unit": "K6 points (0-24)",
     "description": "K6 psychological distress score for the past month: 6 items scored 0-4 (NSDUH 2021+ name; "
     "older files: K6SCMON).", "constraints": {"minimum": 0, "maximum": 24}},
    {"name": "SPDPSTMON", "type": "integer",
     "description": "Serious psychological distress in the past month, i.e. KSSLR6MON >= 13 (NSDUH 2021+ name; "
     "older files: SPDMON). " + YES_NO},
]


def frame():
    df = model.nsduh_like(n=N, seed=None, kratom_effect=0.0)
    out = df.copy()
    out["CATAG6"] = df["CATAG6"].cat.codes.astype("int64") + 2  # 18-25 -> NSDUH code 2
    out["IRSEX"] = df["IRSEX"].cat.codes.astype("int64") + 1  # male -> 1, female -> 2
    return out


def csv_text() -> str:
    buffer = io.StringIO()
    frame().to_csv(buffer, index=False, lineterminator="\n", float_format="%.2f")
    return buffer.getvalue()


def fragment() -> dict:
    dag = [{"from": c, "to": e, "coefficient": coef} for c, e, coef in model.NSDUH_LIKE_DAG]
    return {
        "name": NAME,
        "title": "SYNTHETIC NSDUH-like adult survey: 60,000 simulated respondents with a known kratom effect (not real people)",
        "description": (
            "SYNTHETIC data, simulated for teaching: no row describes a real person, and no estimate from these data "
            "says anything about real kratom use or depression. One row per simulated adult in a stratified, clustered "
            "sample shaped like the NSDUH public-use file (50 strata x 2 PSUs, young adults oversampled, analysis "
            "weights). Column names follow the NSDUH 2021+ public-use file where a real counterpart exists "
            "(upper case), so the same code runs on the real file read with course_utils.nsduh.read_puf; lower-case "
            "columns are course variables. The data come from a documented causal diagram (generatingModel) in which "
            "shared causes (pain, childhood adversity, other substance use) and self-medication (earlier depression -> "
            "kratom) create a kratom-depression association, while the TRUE causal effect of kratom on past-year "
            "depression is zero in this file. Re-create it with course_utils.simulate.nsduh_like(); pass "
            "kratom_effect to simulate a different truth."
        ),
        "synthetic": True,
        "sources": [
            {"title": "Simulated by course_utils.simulate.nsduh_like (this repository)",
             "path": "src/course_utils/simulate/nsduh_like.py"},
            {"title": "Written by tools/export_synthetic.py", "path": "tools/export_synthetic.py"},
        ],
        "citation": (
            "SYNTHETIC data from the course 'Kratom, depression and stress: judging the evidence with data': "
            f"course_utils.simulate.nsduh_like(n={N}, seed={COURSE_SEED}, kratom_effect=0.0). Calibrated to published "
            "NSDUH figures (see calibrationTargets); cite those sources, not these data, for any real-world number."
        ),
        "licenses": [
            {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 (the course's licence for its own content)",
             "path": "https://creativecommons.org/licenses/by/4.0/"}
        ],
        "generator": {
            "function": "course_utils.simulate.nsduh_like",
            "call": f"nsduh_like(n={N}, seed=None, kratom_effect=0.0)",
            "seed": COURSE_SEED,
            "seedNote": "seed=None uses course_utils.seeding.COURSE_SEED",
        },
        "generatingModel": {
            "description": (
                "Binary variables are drawn in causal order from logistic models; coefficients are log-odds. "
                "Age-group effects (coefficient null here) differ by group and are listed in the module. "
                "PSU random intercepts (independent for kratom use, depression and distress) create clustering. "
                "K6 = Binomial(24, p) with a person-level random effect; SPDPSTMON = K6 >= 13."
            ),
            "dag": dag,
            "trueEffects": {
                "kratom_py -> AMDEYR": {"value": 0.0, "scale": "log odds ratio, conditional on the adjustment set",
                                        "meaning": "kratom has NO causal effect on depression in this file"},
            },
            "adjustmentSet": list(model.ADJUSTMENT_SET),
            "doNotAdjustFor": ["KSSLR6MON", "SPDPSTMON"],
            "doNotAdjustForReason": "distress is caused by the outcome (a descendant of AMDEYR)",
        },
        "calibrationTargets": model.CALIBRATION_TARGETS,
        "assumptions": model.ASSUMPTIONS,
        "teachingUse": (
            "Lesson 02 (weights, design-based prevalence and design effects); lessons 05-07 (confounding, adjustment, "
            "and checking an analysis against a known truth)."
        ),
        "schema": {"fields": FIELDS, "missingValues": [""]},
    }


def fragment_text() -> str:
    return json.dumps(fragment(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if an output is stale")
    args = parser.parse_args(argv)
    stale = 0
    for path, text in ((CSV_PATH, csv_text()), (META_PATH, fragment_text())):
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            print(f"{path.relative_to(ROOT)} unchanged")
        elif args.check:
            print(f"{path.relative_to(ROOT)} is out of date: run python tools/export_synthetic.py", file=sys.stderr)
            stale = 1
        else:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
