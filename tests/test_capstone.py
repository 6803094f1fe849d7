"""The capstone (lesson 12): its checkpoints, and its student edition done as a student would.

Two parts:

* **validators** -- each ``course_utils.capstone.check_*`` function passes complete,
  consistent work and reports each way a part can be incomplete or inconsistent with
  its own message (what is missing, what to do);
* **the student edition, filled in** -- the student edition is built from the solution
  notebook, its starting cells are filled with this file's *own* worked answers for
  option B (Beat the Blues, a trial) and option D (NHEFS, a cohort) -- not the model
  answer of option A -- and executed from a fresh kernel: every checkpoint must pass, and
  an appraisal whose certainty contradicts the grade must fail checkpoint 12.6 with its
  own message.

The estimates the filled-in notebooks compute are the course's functions run on the real
datasets; their values are not what is tested (the capstone has no single right number),
only that the checkpoints accept them and their shape.  For reference they are the values the
lessons show for the same calls: the baseline-adjusted difference in BDI-II at 8 months is -4.01
(95% CI -8.79 to 0.77, n = 52; lesson 08) and the IP-weighted effect of quitting on weight is
3.44 kg (2.41 to 4.47, n = 1566; lesson 06).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import course_utils as cu
from course_utils import capstone, evidence
from course_utils.check import ExerciseIncorrect, ExerciseNotAnswered

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "12_capstone.ipynb"
PLACEHOLDER_LINE = re.compile(r"^(\w+) = \.\.\.  # YOUR ANSWER HERE$", re.M)

CONFOUNDED = [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")]


def pico(**changes):
    base = {
        "option": "D", "population": "adult smokers in the US in 1971", "exposure": "quitting smoking by 1982",
        "comparison": "continuing to smoke", "outcome": "weight change 1971-1982 in kg",
        "question": "In adult smokers, does quitting smoking cause weight gain over eleven years?",
    }
    base.update(changes)
    return base


def grade_of(design="observational", **kwargs):
    reasons = {d: f"no serious concern about {d.replace('_', ' ')} here" for d in evidence.DOWNGRADE_DOMAINS}
    reasons.update(kwargs.pop("reasons", {}))
    return cu.assess_certainty(design, outcome="weight change after quitting smoking", reasons=reasons, **kwargs)


LOW_TEXT = (
    "Among American smokers followed from 1971 to 1982, those who quit gained about three kilograms more "
    "than those who kept smoking, after the differences between them that were measured were taken into "
    "account. That comes from one observational cohort, so people who quit may differ in ways the data do "
    "not capture. Our certainty in this finding is low: quitting may lead to some weight gain, but the size "
    "is uncertain. A second large cohort with the same result, or a trial of a stop-smoking programme that "
    "measured weight, would raise the certainty. This is not medical advice."
)


# --------------------------------------------------------------------------- 12.1 PICO


def test_pico_passes_complete_work_and_accepts_intervention_for_exposure():
    assert capstone.check_pico(pico()) == []
    answer = pico()
    answer["intervention"] = answer.pop("exposure")
    assert capstone.check_pico(answer) == []


@pytest.mark.parametrize(
    "answer, message",
    [
        ("adults, quitting, smoking", "should be a dict with the keys option, population"),
        (pico(option=...), "Choose your option first"),
        (pico(option="G"), "option is 'G'; it should be one of the letters A, B, C, D, E, F"),
        (pico(population=...), "Fill in the population: who the question is about"),
        (pico(outcome="   "), "Fill in the outcome: what is measured"),
        (pico(outcome="weight"), "The outcome ('weight') is too short: write at least 2 words"),
        (pico(comparison=0), "The comparison should be text (a str in quotes), got int"),
        (pico(question="Does quitting cause weight gain?"), "write at least 6 words"),
        (pico(comparison="Quitting smoking by 1982"), "The comparison is the same as the exposure"),
        (pico(question="In adult smokers quitting smoking causes weight gain over eleven years."), "ending with a question mark"),
    ],
)
def test_pico_names_what_is_missing(answer, message):
    problems = capstone.check_pico(answer)
    assert problems and message in problems[0], problems


def test_pico_lists_every_empty_field():
    problems = capstone.check_pico(pico(population=..., exposure=None, outcome="TODO"))
    assert [p.split(":")[0] for p in problems] == ["Fill in the population", "Fill in the exposure", "Fill in the outcome"]


# --------------------------------------------------------------------------- 12.2 diagram


def diagram(**changes):
    base = {"edges": CONFOUNDED, "exposure": "kratom", "outcome": "depression", "adjusted": ["pain"],
            "unobserved": [], "randomised": False}
    base.update(changes)
    return base


def test_diagram_passes_a_confounded_question_adjusted_for_its_confounder():
    assert capstone.check_diagram(diagram()) == []


TRIAL = [("randomisation", "arm"), ("arm", "bdi_8m"), ("bdi_pre", "bdi_8m"), ("arm", "dropout"), ("bdi_8m", "dropout")]


def test_diagram_passes_a_randomised_exposure_without_a_confounder():
    assert capstone.check_diagram(diagram(edges=TRIAL, exposure="arm", outcome="bdi_8m", adjusted=["bdi_pre"],
                                          randomised=True)) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"edges": ...}, "Fill in edges"),
        ({"edges": [("a", "b"), ("b", "a")]}, "the diagram has a cycle"),
        ({"edges": "kratom -> depression"}, "The edges do not make a causal diagram"),
        ({"exposure": "kratom use"}, "The exposure 'kratom use' is not a node of your diagram; its nodes are 'pain', 'kratom', 'depression'"),
        ({"outcome": ...}, "Fill in outcome"),
        ({"edges": [("pain", "kratom"), ("pain", "depression")]}, "There is no directed path from 'kratom' to 'depression'"),
        ({"edges": [("kratom", "depression"), ("age", "depression")], "adjusted": []}, "The diagram has no confounder"),
        ({"adjusted": []}, "The adjusted set leaves a back-door path open: kratom ← pain → depression"),
        ({"adjusted": "pain"}, "adjusted and unobserved must be lists of node names"),
        ({"adjusted": ["age"]}, "adjusted names 'age', not a node of your diagram"),
        ({"randomised": ...}, "Fill in randomised"),
        ({"randomised": "no"}, "randomised must be True or False"),
        ({"randomised": True}, "yet 'pain' has an arrow into 'kratom'"),
        ({"unobserved": ["pain"]}, "'pain' is marked unobserved, so it cannot be adjusted for"),
        ({"adjusted": ["depression"]}, "contains the exposure or the outcome"),
    ],
)
def test_diagram_names_what_is_wrong(changes, message):
    problems = capstone.check_diagram(diagram(**changes))
    assert problems and message in problems[0], problems


def test_diagram_refuses_to_adjust_for_a_mediator_or_a_consequence_of_the_outcome():
    edges = CONFOUNDED + [("kratom", "sleep"), ("sleep", "depression"), ("depression", "distress")]
    for bad in ("sleep", "distress"):
        problems = capstone.check_diagram(diagram(edges=edges, adjusted=["pain", bad]))
        assert problems and f"'{bad}' is affected by the exposure" in problems[0]


def test_diagram_with_only_an_unmeasured_confounder_passes_once_it_is_marked():
    edges = [("U", "kratom"), ("U", "depression"), ("kratom", "depression")]
    assert capstone.check_diagram(diagram(edges=edges, adjusted=[], unobserved=["U"])) == []
    problems = capstone.check_diagram(diagram(edges=edges, adjusted=[], unobserved=[]))
    assert "The adjusted set leaves a back-door path open" in problems[0]


def test_randomised_diagram_needs_another_cause_of_the_outcome():
    problems = capstone.check_diagram(diagram(edges=[("randomisation", "arm"), ("arm", "bdi")], exposure="arm",
                                              outcome="bdi", adjusted=[], randomised=True))
    assert "Add at least one other cause of 'bdi'" in problems[0]


# --------------------------------------------------------------------------- 12.3 analysis


@pytest.fixture(scope="module")
def btheb():
    return cu.load("btheb")


@pytest.fixture(scope="module")
def ancova(btheb):
    return cu.ancova(btheb, "bdi_8m", "treatment", "bdi_pre", treatment="Beat the Blues", control="treatment as usual")


def test_analysis_passes_a_course_result_on_the_complete_cases(btheb, ancova):
    rows = btheb.dropna(subset=["bdi_8m"])
    assert capstone.check_analysis({"option": "B", "dataset": "btheb", "result": ancova, "rows": rows}) == []
    # a one-row table of results is accepted too
    assert capstone.check_analysis({"option": "B", "dataset": "btheb", "result": ancova.to_frame().T, "rows": rows}) == []


def test_analysis_passes_the_whole_dataset_without_rows():
    bcg = cu.load("bcg")
    per_trial = cu.log_ratio_from_counts(bcg["bcg_tb"], bcg["bcg_vacc"], bcg["no_vacc_tb"], bcg["no_vacc"])
    pooled = cu.meta_analysis(per_trial["log_ratio"], per_trial["variance"], exponentiate=True).pooled
    assert capstone.check_analysis({"option": "C", "dataset": "bcg", "result": pooled, "rows": None}) == []


def test_analysis_accepts_the_ctn0094_tables_for_option_f_with_ids_in_the_index():
    from course_utils import ctn0094

    xbot = ctn0094.xbot().assign(depression=lambda d: d["major_dep"].astype(int), relapsed=lambda d: d["relapse"].astype(int))
    crude = cu.causal.association_measures(xbot, "depression", "relapsed").loc["risk ratio"]
    assert capstone.check_analysis({"option": "F", "dataset": "ctn0094_everybody", "result": crude, "rows": xbot}) == []
    assert "not a dataset of option F" in capstone.check_analysis(
        {"option": "F", "dataset": "nhefs", "result": crude, "rows": xbot})[0]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"option": "Q"}, "option is 'Q'"),
        ({"dataset": ...}, "Fill in dataset"),
        ({"dataset": "nhefs"}, "dataset is 'nhefs', which is not a dataset of option B: use 'btheb'"),
        ({"result": ...}, "Fill in result"),
        ({"result": -4.01}, "got float. A number typed by hand has no interval"),
        ({"result": pd.Series({"estimate": -4.0, "ci_low": -8.8, "ci_high": 0.8})}, "result has no 'n'"),
        ({"result": pd.Series({"estimate": float("nan"), "ci_low": -8.8, "ci_high": 0.8, "n": 52})}, "not a finite number"),
        ({"result": pd.Series({"estimate": -4.0, "ci_low": 0.8, "ci_high": -8.8, "n": 52})}, "not an interval"),
        ({"result": pd.Series({"estimate": 0.49, "ci_low": -1.06, "ci_high": -0.36, "n": 52})}, "lies outside its interval"),
        ({"result": pd.Series({"estimate": -4.0, "ci_low": -8.8, "ci_high": 0.8, "n": 52.5})}, "a positive whole number"),
        ({"rows": None}, "n is 52, but btheb has 100 rows"),
        ({"rows": [1, 2]}, "rows should be the DataFrame you analysed"),
    ],
)
def test_analysis_names_what_is_wrong(btheb, ancova, changes, message):
    answer = {"option": "B", "dataset": "btheb", "result": ancova, "rows": btheb.dropna(subset=["bdi_8m"])}
    answer.update(changes)
    problems = capstone.check_analysis(answer)
    assert problems and message in problems[0], problems


def test_analysis_rows_must_match_n_and_come_from_the_dataset(btheb, ancova):
    answer = {"option": "B", "dataset": "btheb", "result": ancova, "rows": btheb}
    assert "n is 52, but rows has 100 rows" in capstone.check_analysis(answer)[0]
    forged = btheb.dropna(subset=["bdi_8m"]).assign(patient_id=lambda d: d["patient_id"] + 1000)
    problems = capstone.check_analysis({**answer, "rows": forged})
    assert "52 patient_id value(s) that are not in btheb" in problems[0]


def test_analysis_table_of_several_rows_asks_for_one(ancova):
    table = pd.DataFrame([ancova, ancova])
    problems = capstone.check_analysis({"option": "B", "dataset": "btheb", "result": table, "rows": None})
    assert "result is a table of 2 rows" in problems[0]


# --------------------------------------------------------------------------- 12.4 threats

THREATS = {
    "confounding": "randomisation balances confounders in expectation, but the arms differ in antidepressant use",
    "selection": "almost half the participants have no 8-month score, and drop-out differs by arm",
    "measurement": "the BDI-II is self-reported and participants knew which treatment they had",
    "chance": "the interval runs from a benefit of about nine points to a harm of about one point",
}


def test_threats_pass_with_four_reasons_and_extras():
    assert capstone.check_threats({**THREATS, "attrition": "see selection; analysed complete cases only"}) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"chance": ...}, "Fill in chance: how wide the interval is"),
        ({"selection": "drop-out"}, "Selection ('drop-out') is too short: write at least 8 words"),
        ({"attrition": 0.48}, "threat 'attrition' should be explained in words (a str), got float"),
    ],
)
def test_threats_name_what_is_missing(changes, message):
    problems = capstone.check_threats({**THREATS, **changes})
    assert problems and message in problems[0], problems
    assert "should be a dict" in capstone.check_threats(["confounding"])[0]


# --------------------------------------------------------------------------- 12.5 grade


def test_grade_passes_with_a_reason_for_every_domain():
    assert capstone.check_grade({"option": "D", "grade": grade_of()}) == []
    up = grade_of(upgrades={"dose_response": 1}, reasons={"dose_response": "more weight gained with heavier smoking"})
    assert capstone.check_grade({"option": "D", "grade": up}) == []


@pytest.mark.parametrize(
    "answer, message",
    [
        ({"option": "D", "grade": ...}, "Fill in grade: the result of cu.assess_certainty"),
        ({"option": "D", "grade": "low"}, "grade should be the result of cu.assess_certainty(...), got str"),
        ({"option": "D", "grade": grade_of("randomised")},
         "Option D starts as 'observational' evidence (its question is answered by observational (non-randomised) "
         "comparisons), but the grade starts from 'randomised'"),
        ({"option": "B", "grade": grade_of()}, "Option B starts as 'randomised' evidence"),
        ({"option": "D", "grade": cu.assess_certainty("observational", outcome="x", reasons={"risk_of_bias": "cohort, measured confounders only"})},
         "missing or too short for: inconsistency, indirectness, imprecision, publication_bias"),
        ({"option": "D", "grade": grade_of(upgrades={"large_effect": 1})}, "missing or too short for: large_effect"),
        ({"option": "D", "grade": cu.assess_certainty("observational", reasons={d: "no serious concern here" for d in evidence.DOWNGRADE_DOMAINS})},
         "Name the outcome the grade is about"),
    ],
)
def test_grade_names_what_is_missing(answer, message):
    problems = capstone.check_grade(answer)
    assert problems and message in problems[0], problems


# --------------------------------------------------------------------------- 12.6 appraisal


def test_appraisal_passes_when_it_states_and_matches_the_grade():
    assert capstone.check_appraisal({"text": LOW_TEXT, "grade": grade_of()}) == []


def test_appraisal_that_contradicts_the_grade_fails_with_its_own_message():
    contradicting = LOW_TEXT.replace("Our certainty in this finding is low", "Our certainty in this finding is high")
    problems = capstone.check_appraisal({"text": contradicting, "grade": grade_of()})
    assert problems[0] == ("Your appraisal states high certainty, but your grade (checkpoint 12.5) is low: the verdict "
                           "in words must match the grade. Change the text, or revisit the grade and say why.")


@pytest.mark.parametrize(
    "text, message",
    [
        (LOW_TEXT.replace("Our certainty in this finding is low: quitting", "Quitting"), "State the certainty in words"),
        (LOW_TEXT + " Overall this is moderate certainty evidence.", "states moderate certainty, but your grade"),
        (" ".join(["word"] * 30), "write at least 60 words"),
        (LOW_TEXT + " more" * 200, "the brief allows at most 250"),
        (LOW_TEXT.replace("may lead", "leads").replace("may differ", "differ").replace(", but the size is uncertain", ""),
         "The wording does not match low certainty"),
        (LOW_TEXT.replace("This is not", "This proves it and is not"), '"proves" claims more than low certainty allows'),
        (LOW_TEXT.replace("A second large cohort with the same result, or a trial of a stop-smoking programme that "
                          "measured weight, would raise the certainty.", ""), "Say what would change the verdict"),
        (LOW_TEXT + " Smokers should avoid quitting before a wedding.", '"should avoid" reads as advice'),
    ],
)
def test_appraisal_names_what_is_wrong(text, message):
    problems = capstone.check_appraisal({"text": text, "grade": grade_of()})
    assert problems and message in problems[0], problems


def test_appraisal_needs_the_grade_object():
    assert "run the grade cell first" in capstone.check_appraisal({"text": LOW_TEXT, "grade": "low"})[0]


def test_stated_certainty_reads_verdicts_not_conditions_nor_other_uses_of_the_words():
    assert capstone.stated_certainty("Certainty is very low. A trial could raise it to moderate.") == ["very low"]
    assert capstone.stated_certainty("People with low mood and high blood pressure took part.") == []
    assert capstone.stated_certainty("This is low-certainty evidence.") == ["low"]
    assert capstone.stated_certainty("Our confidence in the estimate remains moderate.") == ["moderate"]
    assert capstone.stated_certainty(cu.plain_language("very low", "kratom", "lower cortisol")) == ["very low"]
    assert capstone.stated_certainty("The size of the gain is uncertain.") == []


# --------------------------------------------------------------------------- running a checkpoint


def test_checks_run_the_validators_and_report_in_at_most_four_lines(capsys):
    from course_utils import check

    check("12.1", pico())
    assert capsys.readouterr().out == "✅ 12.1: correct.\n"
    with pytest.raises(ExerciseNotAnswered, match=r"⏳ 12.1: not answered yet"):
        check("12.1", capstone.answer(option=..., population=..., exposure=...))
    with pytest.raises(ExerciseIncorrect) as info:
        check("12.1", pico(population=..., outcome=...))
    lines = str(info.value).splitlines()
    assert lines[0] == ("❌ 12.1: not yet. Fill in the population: who the question is about (P of PICO), e.g. "
                        '"adults with depression treated in primary care".')
    assert len(info.value._render_traceback_()) <= 4


def test_exercise_file_names_a_validator_for_every_checkpoint_and_stores_no_answer():
    import json

    data = json.loads((ROOT / "src" / "course_utils" / "exercises" / "12.json").read_text(encoding="utf-8"))
    entries = data["exercises"]
    assert list(entries) == [f"12.{k}" for k in range(1, 7)]
    assert sum(e["rubric_weight"] for e in entries.values()) == 100  # the rubric's weights of the six parts
    assert all(e["points"] == 1 for e in entries.values())  # a pass makes a part markable; the rubric gives the marks
    for key, entry in entries.items():
        assert entry["kind"] == "rule" and "answer" not in entry, key
        module, _, name = entry["validator"].partition(":")
        assert module == "course_utils.capstone" and callable(getattr(capstone, name)), key
        assert entry["hints"], key


def test_show_diagram_waits_for_a_diagram(capsys):
    assert capstone.show_diagram(capstone.answer(edges=..., exposure=..., outcome=...)) is None
    assert "Nothing to draw yet" in capsys.readouterr().out


# --------------------------------------------------------------------------- the student edition, filled in

# Each snippet replaces the placeholder lines (`name = ...  # YOUR ANSWER HERE`) of one
# starting cell; the names it must define are those placeholders.
OPTION_B = {
    "12.1": '''
option = "B"
population = "adults with depression or mixed anxiety and depression treated in primary care"
exposure = "Beat the Blues, computerised CBT, with usual treatment"
comparison = "treatment as usual alone"
outcome = "BDI-II depression score (points) at 8 months"
question = "In adults with depression in primary care, does Beat the Blues lower BDI-II scores at 8 months compared with usual care?"
''',
    "12.2": '''
edges = [("randomisation", "treatment"), ("treatment", "bdi_8m"), ("bdi_pre", "bdi_8m"), ("drug", "bdi_8m"),
         ("length", "bdi_8m"), ("treatment", "dropout"), ("bdi_8m", "dropout")]
exposure_node, outcome_node = "treatment", "bdi_8m"
adjusted = ["bdi_pre"]
unobserved = []
randomised = True
positions = labels = None
title = "Option B: Beat the Blues trial"
''',
    "12.3": '''
result = cu.ancova(btheb, "bdi_8m", "treatment", "bdi_pre", **arms)
dataset = "btheb"
rows = btheb.dropna(subset=["bdi_8m"])
''',
    "12.4": '''
confounding = "Randomisation balances confounders on average; the arms still differ in antidepressant use by chance."
selection = "Almost half of the participants have no 8-month score, so the complete cases may not represent everyone randomised."
measurement = "The BDI-II is self-reported and nobody was blinded, which could exaggerate the benefit of the new treatment."
chance = "With 52 complete cases the interval runs from about nine points better to about one point worse."
''',
    "12.5": '''
grade = cu.assess_certainty(
    "randomised", outcome="BDI-II at 8 months, Beat the Blues vs usual care",
    downgrades={"risk_of_bias": -1, "imprecision": -1},
    reasons={"risk_of_bias": "unblinded, self-reported outcome and heavy drop-out",
             "inconsistency": "one trial only, so not assessable",
             "indirectness": "no serious concern: primary care patients as in the question",
             "imprecision": "the interval includes no difference and a large benefit",
             "publication_bias": "not assessable with one trial"})
''',
    "12.6": '''
appraisal_text = """In a trial in primary care, people offered the computerised therapy Beat the Blues had
depression scores about four points lower after eight months than those given usual care alone, but
the interval runs from a nine-point benefit to a one-point harm, almost half of the participants were
not assessed, and nobody was blinded. Our certainty in this result is low: Beat the Blues may lower
depression scores a little. A larger trial with better follow-up would be needed to be more confident.
This appraisal is not medical advice."""
''',
}
OPTION_D = {
    "12.1": '''
option = "D"
population = "adult cigarette smokers in the US examined in 1971"
exposure = "quitting smoking between 1971 and 1982"
comparison = "continuing to smoke"
outcome = "weight change from 1971 to 1982, in kg"
question = "In adult smokers, does quitting smoking cause weight gain over the following eleven years?"
''',
    "12.2": '''
confounders = ["sex", "race", "age", "education", "smokeintensity", "smokeyrs", "exercise", "active", "wt71"]
edges = [("qsmk", "wt82_71")] + [(c, "qsmk") for c in confounders] + [(c, "wt82_71") for c in confounders]
exposure_node, outcome_node = "qsmk", "wt82_71"
adjusted = confounders
unobserved = []
randomised = False
positions = labels = title = None
''',
    "12.3": '''
covariates = ("sex + race + age + I(age**2) + C(education) + smokeintensity + I(smokeintensity**2)"
              " + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active) + wt71 + I(wt71**2)")
result = causal.ipw_effect(nhefs, "qsmk", "wt82_71", covariates)
dataset = "nhefs"
rows = nhefs
''',
    "12.4": '''
confounding = "Only measured confounders are balanced by the weights; motivation and health worries could still differ between quitters and others."
selection = "Sixty-three smokers without a 1982 weight are left out, and people who died before 1982 could not be weighed."
measurement = "Quitting is self-reported at follow-up, and weight change combines two measurements eleven years apart."
chance = "The interval of about 2.4 to 4.5 kg rules out no gain at all but not a modest one."
''',
    "12.5": '''
grade = cu.assess_certainty(
    "observational", outcome="Weight change after quitting smoking",
    reasons={"risk_of_bias": "no serious concern beyond what the observational start already counts",
             "inconsistency": "one cohort, so not assessable here",
             "indirectness": "no serious concern: US smokers as in the question",
             "imprecision": "no serious concern: the interval excludes no gain",
             "publication_bias": "not assessable with one cohort"})
''',
    "12.6": '''
appraisal_text = """Among American smokers followed from 1971 to 1982, those who quit gained about three
and a half kilograms more than those who kept smoking, once the measured differences between them were
taken into account (NHEFS, interval about 2.4 to 4.5 kg). It is one observational cohort, so people who
quit may differ in ways the data do not capture. Our certainty in this finding is low: quitting may lead
to some weight gain. Other cohorts with the same result would raise the certainty. This is not medical advice."""
''',
}
WRONG_APPRAISAL = '''
wrong_text = appraisal_text.replace("Our certainty in this result is low", "Our certainty in this result is high")
check("12.6", capstone.answer(text=wrong_text, grade=grade))
'''


def filled_student_edition(answers: dict[str, str], extra: str | None = None) -> nbformat.NotebookNode:
    from course_build.student import student_notebook

    nb = student_notebook(nbformat.read(NOTEBOOK, as_version=4), name=NOTEBOOK.name)
    seen = []
    for cell in nb.cells:
        course = cell.get("metadata", {}).get("course", {})
        if cell.cell_type != "code" or course.get("role") != "answer":
            continue
        ex = course["exercise"]
        seen.append(ex)
        placeholders = PLACEHOLDER_LINE.findall(cell.source)
        snippet = answers[ex].strip("\n")
        names = {t.id for node in ast.parse(snippet).body if isinstance(node, ast.Assign)
                 for target in node.targets for t in ast.walk(target) if isinstance(t, ast.Name)}
        assert set(placeholders) <= names, f"{ex}: the starting cell now asks for {sorted(set(placeholders) - names)}"
        lines = cell.source.split("\n")
        at = [i for i, line in enumerate(lines) if PLACEHOLDER_LINE.fullmatch(line)]
        cell.source = "\n".join(lines[: at[0]] + [snippet] + [x for i, x in enumerate(lines) if i > at[0] and i not in at])
    assert seen == [f"12.{k}" for k in range(1, 7)], seen
    if extra:
        wrong = nbformat.v4.new_code_cell(extra.strip("\n"))
        wrong.metadata["tags"] = ["raises-exception"]
        nb.cells.append(wrong)
    return nb


def run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def checkpoint_outputs(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        course = cell.get("metadata", {}).get("course", {})
        if course.get("role") == "check":
            out[course["exercise"]] = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return out


def test_student_edition_removes_the_worked_example_and_shows_no_answer():
    from course_build.student import student_notebook

    nb = student_notebook(nbformat.read(NOTEBOOK, as_version=4), name=NOTEBOOK.name)
    text = "\n".join(c.source for c in nb.cells)
    assert "Model answer" not in text and "AMDEYR ~ kratom_py" not in text and "helps, harms or does nothing" not in text
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    for cell in nb.cells:
        if cell.get("metadata", {}).get("course", {}).get("role") == "answer":
            assert PLACEHOLDER_LINE.search(cell.source), cell.source
            assert "print(" not in cell.source  # nothing a checkpoint asks is shown above it


@pytest.mark.slow
@pytest.mark.parametrize("answers, wrong", [(OPTION_B, WRONG_APPRAISAL), (OPTION_D, None)], ids=["option B", "option D"])
def test_filled_student_edition_passes_every_checkpoint(answers, wrong):
    nb = run(filled_student_edition(answers, wrong))
    outputs = checkpoint_outputs(nb)
    assert outputs == {f"12.{k}": f"✅ 12.{k}: correct.\n" for k in range(1, 7)}, outputs
    figures = [c for c in nb.cells if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert len(figures) == 1, "the student's own diagram is drawn (and only that figure)"
    if wrong:
        error = next(o for o in nb.cells[-1].outputs if o.output_type == "error")
        assert error.ename == "ExerciseIncorrect"
        assert error.evalue.startswith("❌ 12.6: not yet. Your appraisal states high certainty, but your grade "
                                       "(checkpoint 12.5) is low: the verdict in words must match the grade.")


def test_a_worked_option_f_answer_on_the_real_trial_data_passes_every_validator():
    """Option F end to end without a kernel: the X:BOT table, a confounded diagram, crude and adjusted estimates.

    In the harmonised data a history of major depression is not associated with relapse: 109 of 179
    participants with it relapsed and 248 of 391 without it (risk ratio 0.96); the counts are checked
    against the table itself, and the capstone's instructor page reports them as a model answer.
    """
    from course_utils import causal, ctn0094

    xbot = ctn0094.xbot()
    xbot = xbot.assign(depression=xbot["major_dep"].astype(int), relapsed=xbot["relapse"].astype(int),
                       male=xbot["is_male"].astype(int), iv=xbot["used_iv"].astype(int),
                       anxiety=xbot["anx_pan"].astype(int), pain_level=xbot["pain"].astype(str),
                       race_group=xbot["race"].astype(str))
    counts = xbot.groupby("depression")["relapsed"].agg(["sum", "size"])
    assert counts.loc[1].tolist() == [109, 179] and counts.loc[0].tolist() == [248, 391]
    adjusted = causal.regression_effect(
        xbot, "relapsed ~ depression + age + male + C(race_group) + iv + C(pain_level) + anxiety + xrntx", "depression")
    confounders = ["age", "male", "race_group", "iv", "pain_level", "anxiety"]
    edges = ([("depression", "relapsed"), ("xrntx", "relapsed"), ("randomisation", "xrntx"), ("adversity", "depression"),
              ("adversity", "relapsed")] + [(c, "depression") for c in confounders] + [(c, "relapsed") for c in confounders])
    grade = cu.assess_certainty(
        "observational", outcome="Relapse by history of major depression in X:BOT",
        downgrades={"indirectness": -1},
        reasons={"risk_of_bias": "confounding by unmeasured adversity and severity cannot be excluded",
                 "inconsistency": "one trial population only, so not assessable",
                 "indirectness": "lifetime history from an interview, in people entering treatment for opioid use disorder",
                 "imprecision": "no serious concern: the interval excludes large effects either way",
                 "publication_bias": "not assessable from a single dataset"})
    answers = {
        "12.1": {"option": "F", "population": "adults with opioid use disorder randomised in X:BOT",
                 "exposure": "a history of major depression at baseline", "comparison": "no such history",
                 "outcome": "relapse to regular opioid use within 24 weeks",
                 "question": "In X:BOT participants, does a history of major depression predict relapse, and is that causal?"},
        "12.2": {"edges": edges, "exposure": "depression", "outcome": "relapsed", "adjusted": confounders + ["xrntx"],
                 "unobserved": ["adversity"], "randomised": False},
        "12.3": {"option": "F", "dataset": "ctn0094_everybody", "result": adjusted, "rows": xbot},
        "12.4": {k: v + " in X:BOT" for k, v in THREATS.items()},
        "12.5": {"option": "F", "grade": grade},
        "12.6": {"text": (
            "In a trial of two medicines for opioid use disorder, people with a history of major depression relapsed "
            "about as often as people without one (109 of 179 against 248 of 391 in the harmonised X:BOT data). "
            "Depression history was not randomised, it was recorded once before treatment, and the people in the "
            "trial were all starting treatment, so this says little about anyone else. Our certainty is very low: "
            "the evidence is very uncertain about whether depression history itself changes the chance of relapse. "
            "Studies that measured depression over time, in several trials, would be needed to change that verdict. "
            "This is not medical advice."), "grade": grade},
    }
    checks = {"12.1": capstone.check_pico, "12.2": capstone.check_diagram, "12.3": capstone.check_analysis,
              "12.4": capstone.check_threats, "12.5": capstone.check_grade, "12.6": capstone.check_appraisal}
    assert {k: checks[k](answers[k]) for k in checks} == {k: [] for k in checks}
    # the unmeasured common cause leaves a back-door path no measured set can block: the diagram says so
    assert capstone.check_diagram({**answers["12.2"], "unobserved": []})[0].startswith(
        "The adjusted set leaves a back-door path open: depression ← adversity → relapsed")


def test_analysis_reports_a_dataset_that_cannot_be_loaded(ancova):
    def broken(name):
        raise FileNotFoundError(f"{name}.csv is missing; reinstall course_utils")

    problems = capstone.check_analysis({"option": "B", "dataset": "btheb", "result": ancova, "rows": None}, load=broken)
    assert problems == ["Could not load 'btheb': btheb.csv is missing; reinstall course_utils"]


ODD_ANSWERS = [None, float("nan"), "0.5", [1, 2], (), pd.Series([1.0]), pd.DataFrame({"a": [1]}), 3, True,
               {"option": [1]}, {"option": "B", "edges": 5, "result": "high", "grade": 2, "text": 7, "rows": "all"}]


@pytest.mark.parametrize("validator", ["check_pico", "check_diagram", "check_analysis", "check_threats",
                                       "check_grade", "check_appraisal"])
def test_every_validator_answers_odd_types_with_a_message_never_an_error(validator):
    import numpy as np

    for odd in ODD_ANSWERS + [np.float64(0.5), np.bool_(False)]:
        problems = getattr(capstone, validator)(odd)
        assert problems and all(isinstance(p, str) and p for p in problems), (validator, odd, problems)
