"""The hand-authored kratom evidence tables: every figure sourced, every fact id real.

The ids are those of the course's own verified facts, the dataset ``course_facts`` (see
``tests/test_evidence_base.py``).  When the project's shared reference notes are present beside
the checkout (``../shared/reference``), the id list is also cross-checked against them; the course
never needs them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import course_utils as cu

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

KNOWN_FACT_IDS = set(cu.load("course_facts")["id"])

#: Rows whose source has no DOI or URL in the course facts and none was verified:
#: each is cited by author/journal/volume, and the fact file records its confidence.
ROWS_WITHOUT_URL = {
    "kratom_studies": {"nsduh2123-1", "prevete-1", "fda2025-1", "jep2018_haem-1", "leon2021-1"},
    "kratom_prevalence": {"P08"},
}

NUMERIC = {
    "kratom_studies": ["n", "estimate", "ci_low", "ci_high", "sd", "count"],
    "kratom_prevalence": ["n", "estimate_pct", "ci_low_pct", "ci_high_pct", "range_low_pct", "range_high_pct",
                          "people", "count"],
}
ID_COLUMN = {"kratom_studies": "finding_id", "kratom_prevalence": "estimate_id"}


def _ids(cell: object) -> list[str]:
    if pd.isna(cell) or not str(cell).strip():
        return []
    return [part.strip() for part in str(cell).split(";")]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: cu.load(name) for name in ("kratom_studies", "kratom_prevalence", "kratom_claims")}


def _reference_ids() -> set[str]:
    ids: set[str] = set()
    for name in ("kratom-evidence.md", "measures-and-methods.md"):
        text = (REFERENCE / name).read_text(encoding="utf-8")
        ids |= set(re.findall(r"^\| ([A-Z]\d+) \|", text, flags=re.M))
        ids |= set(re.findall(r"^- ([A-Z]\d+) ", text, flags=re.M))
    return ids


@pytest.mark.skipif(not (REFERENCE / "kratom-evidence.md").is_file(), reason="shared reference folder not present")
def test_known_ids_match_the_shared_facts_file():
    # The course may cite facts of its own (e.g. about the CTN-0094 trials) that the notes lack,
    # but every fact of the notes is carried by the course.
    assert _reference_ids() <= KNOWN_FACT_IDS


@pytest.mark.parametrize("name", ["kratom_studies", "kratom_prevalence"])
def test_every_row_and_every_numeric_cell_has_a_fact_id_and_a_source(tables, name):
    frame = tables[name]
    assert frame["fact_id"].notna().all() and (frame["fact_id"].str.strip() != "").all()
    assert frame["citation"].notna().all() and (frame["citation"].str.len() > 10).all()
    numeric = frame[NUMERIC[name]].notna().any(axis=1)
    assert numeric.sum() > 10  # the tables do hold numbers
    unsourced = frame[numeric & (frame["fact_id"].isna() | frame["citation"].isna())]
    assert unsourced.empty, unsourced[ID_COLUMN[name]].tolist()


@pytest.mark.parametrize("name", ["kratom_studies", "kratom_prevalence"])
def test_rows_without_doi_or_url_are_the_documented_ones(tables, name):
    frame = tables[name]
    has_url = frame["doi_url"].fillna("").str.startswith("https://") | frame["verified_from"].fillna("").str.contains(
        "https?://", regex=True)
    assert set(frame.loc[~has_url, ID_COLUMN[name]]) == ROWS_WITHOUT_URL[name]
    dois = frame["doi_url"].dropna()
    assert dois.str.match(r"^https://").all()


@pytest.mark.parametrize("name, columns", [("kratom_studies", ["fact_id"]), ("kratom_prevalence", ["fact_id"]),
                                           ("kratom_claims", ["evidence_ids", "gap_ids"])])
def test_every_fact_id_exists_in_the_shared_facts(tables, name, columns):
    used = {i for column in columns for cell in tables[name][column] for i in _ids(cell)}
    assert used, "no ids found"
    assert used <= KNOWN_FACT_IDS, sorted(used - KNOWN_FACT_IDS)


def test_claims_point_to_existing_studies(tables):
    studies = set(tables["kratom_studies"]["study_id"])
    used = {i for cell in tables["kratom_claims"]["study_ids"] for i in _ids(cell)}
    assert used <= studies, sorted(used - studies)


def test_claims_are_classified_and_framed_as_questions(tables):
    claims = tables["kratom_claims"]
    assert set(claims["claim_type"].cat.categories) == {"mechanism", "efficacy", "safety", "prevalence"}
    assert claims["claim_type"].notna().all()
    for column in ("population", "exposure", "comparison", "outcome", "design_needed", "evidence_summary"):
        assert claims[column].notna().all(), column
    assert claims["question"].str.endswith("?").all()
    assert set(claims["claim_type"]) == {"mechanism", "efficacy", "safety", "prevalence"}


@pytest.mark.skipif(not (REFERENCE / "claim-article.txt").is_file(), reason="shared reference folder not present")
def test_claims_are_paraphrased_not_copied(tables):
    """No run of eight consecutive words of the article appears in a paraphrased claim."""
    words = re.findall(r"[a-z0-9'-]+", (REFERENCE / "claim-article.txt").read_text(encoding="utf-8").lower())
    shingles = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
    for claim in tables["kratom_claims"]["claim"]:
        w = re.findall(r"[a-z0-9'-]+", claim.lower())
        copied = [" ".join(w[i:i + 8]) for i in range(len(w) - 7) if " ".join(w[i:i + 8]) in shingles]
        assert not copied, copied


def test_confidence_intervals_contain_estimates(tables):
    s = tables["kratom_studies"].dropna(subset=["estimate", "ci_low", "ci_high"])
    assert ((s["ci_low"] <= s["estimate"]) & (s["estimate"] <= s["ci_high"])).all()
    p = tables["kratom_prevalence"].dropna(subset=["estimate_pct", "ci_low_pct", "ci_high_pct"])
    assert ((p["ci_low_pct"] <= p["estimate_pct"]) & (p["estimate_pct"] <= p["ci_high_pct"])).all()
    ratios = tables["kratom_studies"][tables["kratom_studies"]["effect_measure"].astype(str).str.contains("ratio")]
    assert (ratios["estimate"] > 0).all() and len(ratios) >= 10


def test_prevalence_figures_agree_between_the_two_tables(tables):
    studies, prev = tables["kratom_studies"], tables["kratom_prevalence"]
    pairs = [("A1", 0.7), ("A2", 0.3), ("A5", 0.44), ("A5", 0.27), ("A6", 1.93), ("A7", 0.68), ("A8", 0.8),
             ("B6", 6.1), ("C4", 13.4), ("C5", 20.8), ("C5", 10.2), ("B4", 4.6), ("B1", 10.4)]
    for fact, value in pairs:
        in_studies = studies[studies["fact_id"].str.contains(fact, regex=False)]["estimate"].tolist()
        in_prev = prev[prev["fact_id"].str.contains(fact, regex=False)]["estimate_pct"].tolist()
        assert value in in_studies and value in in_prev, fact


def test_published_figures_spot_checks(tables):
    """A few values against the fact file, so a mistyped figure is caught."""
    s = tables["kratom_studies"].set_index("finding_id")
    assert tuple(s.loc["palamar2021-2", ["estimate", "ci_low", "ci_high"]]) == (3.20, 1.38, 7.41)  # B1
    assert tuple(s.loc["adzrago2022-1", ["estimate", "ci_low", "ci_high"]]) == (2.04, 1.24, 3.34)  # B3
    assert tuple(s.loc["sharma2022-3", ["estimate", "ci_low", "ci_high"]]) == (2.48, 1.15, 5.35)  # B5
    assert s.loc["vicknasingam2020-2", "estimate"] == 24.9 and s.loc["vicknasingam2020-2", "sd"] == 39.4  # E1
    assert s.loc["olsen2019-1", "count"] == 152 and s.loc["olsen2019-1", "n"] == 27338  # F4
    p = tables["kratom_prevalence"].set_index("estimate_id")
    assert p.loc["P03", "status"] == "misquotation" and p.loc["P03", "estimate_pct"] == 0.03  # A3
    assert p.loc["P12", "range_low_pct"] == 3.0 and p.loc["P12", "range_high_pct"] == 4.9  # A9


def test_the_gaps_the_lessons_teach_are_real(tables):
    s = tables["kratom_studies"]
    human = s["species"] == "human"
    cortisol = s["outcome"].str.contains("cortisol|corticosterone", case=False) & ~s["outcome"].str.contains(
        "no cortisol", case=False)
    assert s.loc[cortisol, "species"].tolist() == ["mouse"]  # G1 only; G2: no human cortisol study
    assert not (human & cortisol).any()
    trials = s[s["design"].isin(["randomised trial", "controlled trial (randomisation not stated)"])]
    assert not trials["outcome_domain"].isin(["mental health"]).any()  # E4: no depression trial
    assert set(trials["study_id"]) == {"vicknasingam2020", "huestis2024", "prevete"}
