"""Add the design-based adjusted odds ratio to lesson 05 (survey helper, issue 13).

Run from the repository root on a lesson 05 without section 4.1 (does nothing if it is there):
    .venv/bin/python tools/survey_lesson05_cells.py
then re-execute with tools/nbtools.py.  Cells are found by their text, so the edit survives
other helpers' changes to other cells (cell ids are renumbered by nbtools execute).
"""
import sys
from textwrap import dedent

import nbformat

sys.path.insert(0, "tools")
from nbtools import code, md  # noqa: E402

PATH = "notebooks/05_stratification_adjustment.ipynb"
nb = nbformat.read(PATH, 4)
if any("design.glm(" in c.source for c in nb.cells):
    print("section 4.1 is already there")
    raise SystemExit(0)
KEYS = {"cell-00": "**Learning objectives.**", "cell-12": "Here we analyse the respondents without the survey weights",
        "cell-24": "Adjusted for the full set, the odds ratio is", "cell-45": "## Key points"}
cells = {key: next(c for c in nb.cells if text in c.source) for key, text in KEYS.items()}

def replace(cell_id, old, new):
    src = cells[cell_id].source
    assert old in src, (cell_id, old)
    cells[cell_id].source = src.replace(old, new)

replace("cell-00", "- pick an adjustment set from a causal diagram and estimate an adjusted odds ratio by logistic regression;",
        "- pick an adjustment set from a causal diagram and estimate an adjusted odds ratio by logistic regression,\n"
        "  without and with the survey design (weights, strata, PSUs), and say what the design changes;")
replace("cell-12", """Here we analyse the respondents without the survey weights, to keep the focus on confounding;
lesson 02 showed how weights and design change an estimate. Every method below could be weighted.""",
"""Sections 2–5 analyse the respondents without the survey weights, to keep the focus on confounding.
Section 4.1 then fits the adjusted model with the survey design — weights, strata and PSUs, as in
lesson 02 — the way published NSDUH odds ratios are estimated, and shows what that changes.""")

new = [
    md("""
    ### 4.1 The same model, fitted with the survey design

    *Why bother with the design?* The synthetic survey, like NSDUH, oversampled young adults and drew
    its respondents in clusters (lesson 02). The unweighted model above describes the **interviews**;
    published NSDUH odds ratios describe the **population**, and come from *design-based* logistic
    regression: each respondent counts with their weight, and the standard error comes from the
    variation between PSUs within strata (Taylor linearisation, as R's `svyglm` or SUDAAN compute it),
    with #PSUs − #strata = 50 degrees of freedom. `SurveyDesign.glm` fits it. `VEREP` numbers the PSUs
    within each stratum, hence `nest=True`.
    """),
    code("""
    design = cu.SurveyDesign(survey, weight="ANALWT2_C", strata="VESTR_C", psu="VEREP", nest=True)
    design_crude = design.glm("AMDEYR ~ kratom_py", family="binomial", odds_ratios=True)
    design_adjusted = design.glm(f"AMDEYR ~ kratom_py + {adjust}", family="binomial", odds_ratios=True)
    with_design = cu.result_frame({
        "crude, unweighted": crude.loc["odds ratio"],
        "crude, with the design": design_crude.loc["kratom_py"],
        "adjusted, unweighted": adjusted,
        "adjusted, with the design": design_adjusted.loc["kratom_py"],
    }, "odds ratio of depression for kratom use")
    with_design[["estimate", "ci_low", "ci_high", "se"]].round(3)
    """),
    md("""
    Two things change, and one does not:

    * **the estimate moves**: adjusted for the same eight confounders, the odds ratio is 1.08 with the
      design instead of 1.19. Weighting gives every group its population share back — the oversampled
      18–25-year-olds count less — so the model averages the (null) effect over the population's mix,
      not the interviews';
    * **the interval widens**: the standard error of the log odds ratio grows from 0.140 to 0.168
      (its square by a factor of about 1.4, a design effect) and the interval, now from 0.77 to 1.52,
      uses a *t* with 50 degrees of freedom. Unequal weights and clustered interviews carry less
      information than 60,000 independent ones;
    * **the conclusion does not**: both adjusted intervals include the true odds ratio of 1, and both
      crude ones exclude it. The design corrects for *how the sample was drawn*; it does nothing about
      confounding, which only the adjustment addresses.

    The instructor notes (`instructors/nsduh_real_data.md`) show the same call on the real NSDUH file.
    """),
]
for i, cell in enumerate(new):
    cell.id = f"survey-design-{i + 1}"
at = nb.cells.index(cells["cell-24"]) + 1
nb.cells[at:at] = new

replace("cell-45", """- A confounder left out or measured badly leaves residual confounding""",
"""- Fitted with the survey design (weights, strata, PSUs), as published NSDUH odds ratios are, the
  adjusted OR was 1.08 (0.77 to 1.52): the design moves the estimate to the population's mix and
  widens the interval, but it does not remove confounding.
- A confounder left out or measured badly leaves residual confounding""")
nbformat.validate(nb)
nbformat.write(nb, PATH)
print("ok")
