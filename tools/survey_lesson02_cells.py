"""Lesson 02 cells for the survey helper (issue 13): nest=True on the design, and a design-based test.

Idempotent: run again on an edited notebook and nothing changes.
    .venv/bin/python tools/survey_lesson02_cells.py
"""
import sys

import nbformat

sys.path.insert(0, "tools")
from nbtools import code, md  # noqa: E402

PATH = "notebooks/02_survey_data.ipynb"
nb = nbformat.read(PATH, 4)


def cell_with(text: str) -> nbformat.NotebookNode:
    (found,) = [c for c in nb.cells if text in c.source]
    return found


design_cell = cell_with('design = SurveyDesign(survey, weight="ANALWT2_C", strata="VESTR_C", psu="VEREP"')
if "nest=True" not in design_cell.source:
    design_cell.source = design_cell.source.replace('psu="VEREP")', 'psu="VEREP", nest=True)')
intro = cell_with("`SurveyDesign` takes the data and the names of the three design columns")
if "nest=True" not in intro.source:
    intro.source = intro.source.replace(
        "`SurveyDesign` takes the data and the names of the three design columns:",
        "`SurveyDesign` takes the data and the names of the three design columns. `VEREP` numbers the PSUs\n"
        "*within* each stratum (1 or 2), so PSU 1 of stratum 1 and PSU 1 of stratum 2 are different places:\n"
        "`nest=True` says so (R's `nest = TRUE`). Without it, a PSU code found in two strata is an error,\n"
        "because it usually means the wrong column was passed.",
    )

if not any("design.chisq(" in c.source for c in nb.cells):
    new = [
        md("""
        ### Testing an association with the design

        The design changes tests too. Is serious psychological distress more common among people who
        used kratom? A Pearson chi-square test on the weighted table treats the 60,000 interviews as a
        simple random sample. The Rao–Scott test (`design.chisq`, R's `svychisq`) divides that statistic
        by the average design effect of the table's cells and compares it with an *F* distribution whose
        degrees of freedom come from the 50 design degrees of freedom.
        """),
        code("""
        from scipy import stats

        test = design.chisq("kratom_py", "SPDPSTMON")
        pd.Series({
            "Pearson X² (weighted table, as if simple random)": test["pearson"],
            "its p-value (chi-square, 1 df)": stats.chi2.sf(test["pearson"], 1),
            "mean design effect of the cells": test["deff_mean"],
            "Rao–Scott F": test["statistic"],
            "its p-value (F with 1 and 50 df)": test["p_value"],
        }).round(4)
        """),
        md("""
        Ignoring the design, the association looks "significant" (p = 0.047); with the design it does
        not (p = 0.058). Neither number makes the evidence strong or absent — both say the data are only
        weakly at odds with no association — but a reader who sees only the naive p-value is told the
        data are more informative than they are. (The data are **synthetic**; lesson 05 fits a
        design-based regression.)
        """),
    ]
    for i, cell in enumerate(new):
        cell.id = f"survey-chisq-{i + 1}"
    anchor = cell_with('kratom_by_age = design.proportion("kratom_py", by="CATAG6", ci="logit")')
    at = nb.cells.index(anchor) + 1
    nb.cells[at:at] = new

nbformat.validate(nb)
nbformat.write(nb, PATH)
print("ok")
