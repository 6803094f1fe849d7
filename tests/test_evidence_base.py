"""The course carries its own evidence: every cited fact and reference resolves inside the repository.

* ``course_facts`` and ``course_references`` are complete and consistent (every fact names
  existing references, every reference is used, each has a DOI/URL or says why not);
* every fact id cited anywhere a reader meets one -- lesson text, code and outputs, the
  instructor guide, the syllabus and README, the dataset descriptors and tables, the
  library's docstrings -- is a row of ``course_facts``;
* nothing the course ships points into ``../shared`` (the project's notes beside the checkout);
* when those notes are present, each fact's figures are checked against them (a cross-check
  only; the course never needs them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import course_utils as cu

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"

#: What a fact id looks like: a topic letter and a number; two digits only for A10 and the T (trial) facts,
#: because K01-K11 are the article's claims (dataset kratom_claims), not facts.
FACT_ID = r"(?:A10|[A-NR][1-9]|T[1-9]\d?)"
#: "fact E4", "facts E4, G2", "course reference R3", "reference facts K1–K3", "fact ids A1–L1, N1–N3"
CONTEXT = re.compile(
    r"\b(?:facts?|fact ids?|course references?|reference facts?)\s+"
    r"((?:[A-Z]\d{1,2})(?:\s*(?:,|;|and|–|-|/|to)\s*[A-Z]\d{1,2})*)"
)
#: "(B3)", "(B3, B4, B7)", "(E4; G1)"
PAREN = re.compile(r"\(((?:[A-Z]\d{1,2})(?:\s*[,;]\s*[A-Z]\d{1,2})*)\)")
CALL = re.compile(r"""cu\.fact\(\s*["']([^"']+)["']\s*\)""")
ONE_ID = re.compile(r"[A-NRT]\d{1,2}")
#: Parenthesised tokens that look like ids but are names: the Kessler 6-item scale.
NOT_FACT_IDS = {"K6"}


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return cu.load("course_facts")


@pytest.fixture(scope="module")
def references() -> pd.DataFrame:
    return cu.load("course_references")


def test_every_fact_names_existing_references_and_every_reference_is_used(facts, references):
    ref_ids = set(references["id"])
    used: set[str] = set()
    for row in facts.itertuples():
        ids = [r.strip() for r in str(row.reference_id).split(";")]
        missing = [r for r in ids if r not in ref_ids]
        assert not missing, f"fact {row.id} cites unknown reference(s) {missing}"
        used |= set(ids)
    assert ref_ids - used == set(), f"references nobody cites: {sorted(ref_ids - used)}"


def test_every_fact_has_a_statement_figure_location_and_confidence(facts):
    for column in ("statement", "figure", "location", "confidence"):
        empty = facts.loc[facts[column].isna() | (facts[column].astype(str).str.strip() == ""), "id"]
        assert empty.empty, f"facts without {column}: {list(empty)}"


def test_every_reference_has_a_link_or_says_why_not(references):
    for row in references.itertuples():
        doi, url, note = (str(v) if pd.notna(v) else "" for v in (row.doi, row.url, row.note))
        if doi:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", doi), f"{row.id}: {doi!r} is not a DOI"
        if url:
            assert url.startswith("https://"), f"{row.id}: {url!r} should be an https URL"
        assert doi or url or note, f"{row.id} has neither DOI nor URL and no note saying why"
        assert len(str(row.citation)) > 30, f"{row.id}: the citation is too short to find the source"


def test_fact_and_reference_lookups_print_a_followable_citation():
    text = str(cu.fact("B3"))
    assert "RRR 2.04 (1.24–3.34)" in text and "https://doi.org/10.1016/j.drugalcdep.2022.109605" in text
    assert cu.reference("mrc1948").citation.startswith("Medical Research Council")
    with pytest.raises(KeyError, match="did you mean|Did you mean"):
        cu.fact("B33")
    with pytest.raises(KeyError, match="not a reference id but a fact id"):
        cu.reference("R3")
    with pytest.raises(KeyError, match="a fact id is text"):
        cu.fact(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- every citation resolves


def _texts() -> dict[str, str]:
    """Everything a reader meets, keyed by where it is."""
    out: dict[str, str] = {}
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        data = json.loads(nb.read_text(encoding="utf-8"))
        for i, cell in enumerate(data["cells"]):
            text = "".join(cell.get("source", ""))
            for output in cell.get("outputs", []):
                text += "\n" + "".join(output.get("text", ""))
                text += "\n" + "".join(output.get("data", {}).get("text/plain", ""))
            out[f"{nb.relative_to(ROOT)} cell {i}"] = text
    for pattern in ("instructors/*.md", "*.md", "tools/dataset_meta/*.json", "datasets/*.csv", "src/**/*.py"):
        for path in sorted(ROOT.glob(pattern)):
            if path.name in {"course_facts.csv", "course_references.csv"}:
                continue
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return out


def _cited_ids(text: str) -> set[str]:
    ids: set[str] = set()
    for match in CONTEXT.finditer(text):
        ids |= set(ONE_ID.findall(match.group(1)))
    for match in PAREN.finditer(text):
        ids |= set(ONE_ID.findall(match.group(1))) - NOT_FACT_IDS
    ids |= set(CALL.findall(text))
    # two-digit ids are the article's claims (K01-K11, dataset kratom_claims), except A10 and T ids
    return {i for i in ids if re.fullmatch(FACT_ID, i)}


def test_the_scanner_finds_the_forms_the_course_uses():
    sample = "as fact E4 says; facts E4, G2 and (B3, B4, B7); course reference R3; (K6) is a scale; cu.fact('A1')"
    assert _cited_ids(sample) == {"E4", "G2", "B3", "B4", "B7", "R3", "A1"}
    assert _cited_ids("claims (K04, K08, K10) and lesson 10") == set(), "claim ids K01-K11 are not fact ids"
    assert _cited_ids("Int J Methods Psychiatr Res 2010;19(S1):4-22") == set()


def test_every_cited_fact_id_resolves(facts):
    known = set(facts["id"])
    unknown: dict[str, set[str]] = {}
    total = 0
    for where, text in _texts().items():
        ids = _cited_ids(text)
        total += len(ids)
        if ids - known:
            unknown[where] = ids - known
    assert total > 50, "the scanner found almost no citations: it is broken"
    assert not unknown, "cited fact ids that are not in course_facts:\n" + "\n".join(
        f"  {where}: {sorted(ids)}" for where, ids in unknown.items()
    )


def test_dataset_tables_cite_existing_facts(facts):
    known = set(facts["id"])
    for name, columns in {"kratom_studies": ["fact_id"], "kratom_prevalence": ["fact_id"],
                          "kratom_claims": ["evidence_ids", "gap_ids"]}.items():
        table = cu.load(name)
        for column in columns:
            ids = {i.strip() for cell in table[column].dropna() for i in str(cell).split(";") if i.strip()}
            assert ids <= known, f"{name}.{column} cites {sorted(ids - known)}"


def test_nothing_shipped_points_outside_the_repository():
    offenders = [where for where, text in _texts().items()
                 if re.search(r"\.\./shared|shared/reference|kratom-evidence\.md|measures-and-methods\.md", text)]
    offenders += [str(p.relative_to(ROOT)) for p in (ROOT / "datasets").glob("datapackage.json")
                  if "../shared" in p.read_text(encoding="utf-8")]
    assert not offenders, f"these point into ../shared, which a clone does not have: {offenders}"


# --------------------------------------------------------------------------- cross-check with the notes


def _shared_lines() -> dict[str, str]:
    lines: dict[str, str] = {}
    for name in ("kratom-evidence.md", "measures-and-methods.md"):
        current = None
        for line in (SHARED / name).read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(?:\| |- )([A-Z]\d+)\b", line)
            if m:
                current = m.group(1)
                lines[current] = line
            elif current and line.startswith("  "):  # a list item continued on the next line
                lines[current] += " " + line.strip()
            else:
                current = None
    return lines


@pytest.mark.skipif(not (SHARED / "kratom-evidence.md").is_file(), reason="the project's shared notes are not beside this checkout")
def test_each_fact_figure_stands_in_the_verified_notes(facts):
    notes = _shared_lines()
    assert set(notes) <= set(facts["id"]), f"facts of the notes missing from the course: {sorted(set(notes) - set(facts['id']))}"
    def numbers(text: str) -> set[str]:
        return {n.replace(",", "") for n in re.findall(r"\d[\d,]*\.?\d*", text)}
    for row in facts.itertuples():
        if row.id not in notes:
            continue
        missing = numbers(str(row.figure)) - numbers(notes[row.id])
        assert not missing, f"fact {row.id}: figure(s) {sorted(missing)} do not stand in the verified note"
