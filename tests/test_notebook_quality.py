"""Accessibility, tone and the lesson standard, checked on every lesson.

What each test enforces (CONTRIBUTING.md, "Lesson standard"):

* **title and headings** -- one ``# Lesson NN — Title`` (NN = the file's number) in the
  first cell, and no skipped heading levels (a screen reader's outline stays whole);
* **front matter** -- a ``*Time: about N minutes`` line and 3-5 learning objectives;
* **safety note** -- the template's note, verbatim, before the first section;
* **figures** -- every figure output is followed by a Markdown caption ``**Figure N.**``
  (its text alternative), numbered in order; ``plots.set_style()`` runs before the first
  figure; no colour outside the colour-blind-safe course palette is hard-coded;
* **language** -- no stigmatising terms for people who use drugs (word list below), except
  inside the proper names and cited titles listed in :data:`ALLOWED_PHRASES`;
* **exercises** -- at least three, each solution in a variable that the next cell checks
  with an encoded key; **key points** (3-6) and **where the data came from** (``cite``);
* **instructor guide** -- ``instructors/NN_slug.md`` exists, has the standard sections and
  answers every ``*Discuss:*`` question of the lesson.

Every failure names the notebook and cell and says what to change.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT, TEMPLATE, cell_label, lesson_params, read_nb, rel
from course_utils import plots
from course_build import SOLUTION_BEGIN, has_solution, is_check_cell

FIGURE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
CAPTION = re.compile(r"^\*\*Figure (\d+)([a-z]?)\.\*\*")
HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
BULLET = re.compile(r"^\s{0,3}[-*+]\s+\S")

# --------------------------------------------------------------------------- helpers


def markdown_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def headings(nb) -> list[tuple[int, int, str]]:
    """(cell index, level, text) of every Markdown heading."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in markdown_lines(cell.source):
                match = HEADING.match(line)
                if match:
                    found.append((i, len(match.group(1)), match.group(2)))
    return found


def figure_outputs(cell) -> int:
    if cell.cell_type != "code":
        return 0
    return sum(
        1
        for out in cell.get("outputs", [])
        if out.get("output_type") in {"display_data", "execute_result"} and any(k in out.get("data", {}) for k in FIGURE_TYPES)
    )


def python_source(source: str) -> str:
    """A code cell as plain Python (IPython magics and shell escapes turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def parse_cell(nb_path: Path, index: int, cell) -> ast.Module:
    try:
        return ast.parse(python_source(cell.source))
    except SyntaxError as exc:  # pragma: no cover - nbval would fail first
        pytest.fail(f"{cell_label(nb_path, index, cell)}: not valid Python ({exc.msg})")


def normalise(text: str) -> str:
    text = "\n".join(line.lstrip(">").strip() for line in text.splitlines())
    return re.sub(r"\s+", " ", text).strip()


def template_safety_note() -> str:
    nb = read_nb(TEMPLATE)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "Safety note" in c.source)
    return normalise(cell.source)


def bullets_after(lines: list[str], start: int) -> int:
    """Bullets in the list that begins after line ``start`` (continuation lines allowed)."""
    count, seen = 0, False
    for line in lines[start + 1 :]:
        if BULLET.match(line):
            count, seen = count + 1, True
        elif not line.strip():
            if seen:
                break
        elif seen and line.startswith((" ", "\t")):
            continue
        elif seen or HEADING.match(line):
            break
    return count


# --------------------------------------------------------------------------- title, headings, front matter


@pytest.mark.parametrize("lesson", lesson_params())
def test_title_and_heading_levels(lesson):
    nb = read_nb(lesson)
    number = lesson.name[:2]
    first = nb.cells[0]
    first_line = first.source.splitlines()[0] if first.source else ""
    assert first.cell_type == "markdown" and re.match(rf"^# Lesson {number} — \S", first_line), (
        f"{cell_label(lesson, 0, first)}: a lesson starts with the title line "
        f"`# Lesson {number} — Title that names the question` (em dash, number as in the file name)"
    )
    found = headings(nb)
    titles = [(i, text) for i, level, text in found if level == 1]
    assert len(titles) == 1, (
        f"{rel(lesson)}: exactly one level-1 heading (the title) is allowed; found {len(titles)}: "
        + "; ".join(f"cell {i}: {t!r}" for i, t in titles)
        + ". Use `##` for sections and `###` below them."
    )
    previous = 1
    for i, level, text in found[1:]:
        assert level <= previous + 1, (
            f"{cell_label(lesson, i, nb.cells[i])}: heading {'#' * level} {text!r} skips a level "
            f"(after a level-{previous} heading); use {'#' * (previous + 1)}"
        )
        previous = level


@pytest.mark.parametrize("lesson", lesson_params())
def test_time_and_learning_objectives(lesson):
    nb = read_nb(lesson)
    first = nb.cells[0].source
    assert re.search(r"^\*Time: about \d+ minutes", first, re.M), (
        f"{rel(lesson)}, cell 0: add the line `*Time: about N minutes · Prerequisites: … · Data: …*` under the title"
    )
    lines = markdown_lines(first)
    starts = [k for k, line in enumerate(lines) if line.startswith("**Learning objectives")]
    assert starts, f"{rel(lesson)}, cell 0: add `**Learning objectives.** By the end of this lesson you will be able to:` and 3-5 bullets"
    n = bullets_after(lines, starts[0])
    assert 3 <= n <= 5, f"{rel(lesson)}, cell 0: {n} learning objective bullet(s); the standard asks for 3-5"


@pytest.mark.parametrize("lesson", lesson_params())
def test_safety_note_verbatim_before_the_first_section(lesson):
    nb = read_nb(lesson)
    note = template_safety_note()
    first_section = next((i for i, level, _ in headings(nb) if level == 2), len(nb.cells))
    where = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and note in normalise(c.source)]
    if not where:
        partial = [i for i, c in enumerate(nb.cells) if "not medical advice" in c.source and "988" in c.source]
        hint = f" (cell {partial[0]} has a modified version)" if partial else ""
        pytest.fail(
            f"{rel(lesson)}: the safety note is missing{hint}; copy the `> **Safety note.** …` cell verbatim "
            f"from {rel(TEMPLATE)} (it must say 'not medical advice' and give 988 and the helpline)"
        )
    assert where[0] < first_section, (
        f"{rel(lesson)}: the safety note (cell {where[0]}) must come before the first `##` section "
        f"(cell {first_section}), right after the objectives"
    )


# --------------------------------------------------------------------------- figures and colour


@pytest.mark.parametrize("lesson", lesson_params())
def test_every_figure_has_a_caption_cell_after_it(lesson):
    nb = read_nb(lesson)
    problems, numbers = [], []
    for i, cell in enumerate(nb.cells):
        k = figure_outputs(cell)
        if k:
            following = []
            for nxt in nb.cells[i + 1 :]:
                if nxt.cell_type == "markdown" and CAPTION.match(nxt.source):
                    following.append(nxt)
                    if sum(len(re.findall(r"\*\*Figure \d+[a-z]?\.\*\*", c.source)) for c in following) >= k:
                        break
                else:
                    break
            labels = sum(len(re.findall(r"\*\*Figure \d+[a-z]?\.\*\*", c.source)) for c in following)
            if labels < k:
                problems.append(
                    f"{cell_label(lesson, i, cell)} shows {k} figure(s); put right after it a Markdown cell "
                    f"starting `**Figure N.**` that states the take-away in words (one label per figure)"
                )
        if cell.cell_type == "markdown":
            match = CAPTION.match(cell.source)
            if match:
                numbers.append((i, int(match.group(1)), match.group(2)))
                previous = nb.cells[i - 1] if i else None
                if previous is None or not (figure_outputs(previous) or CAPTION.match(previous.source or "")):
                    problems.append(
                        f"{cell_label(lesson, i, cell)}: a figure caption that follows no figure "
                        f"(did the plot stop showing? end the plotting cell with plt.show())"
                    )
    expected = 1
    for i, n, letter in numbers:
        if n == expected - 1 and letter:  # Figure 2a, 2b
            continue
        if n != expected:
            problems.append(f"{cell_label(lesson, i, nb.cells[i])}: caption says Figure {n}, expected Figure {expected}")
        expected = n + 1
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", lesson_params())
def test_course_style_is_set_before_the_first_figure(lesson):
    nb = read_nb(lesson)
    first_figure = next((i for i, c in enumerate(nb.cells) if figure_outputs(c)), None)
    if first_figure is None:
        return
    styled = any(
        c.cell_type == "code" and re.search(r"\bset_style\(", c.source) for c in nb.cells[:first_figure + 1]
    )
    assert styled, (
        f"{cell_label(lesson, first_figure, nb.cells[first_figure])}: call `plots.set_style()` in the setup cell "
        "so figures use the colour-blind-safe palette and projector-sized text"
    )


NEUTRAL_NAMES = {
    "black", "white", "k", "w", "none", "grey", "gray", "lightgrey", "lightgray", "darkgrey", "darkgray",
    "dimgrey", "dimgray", "silver", "gainsboro", "whitesmoke", "0", "1",
}
SAFE_MAPS = {
    "viridis", "cividis", "magma", "inferno", "plasma", "greys", "gray", "grey", "binary", "blues", "oranges",
    "purples", "rdbu", "puor", "brbg", "colorblind", "mako", "rocket", "flare", "crest", "vlag", "icefire",
}
COLOUR_KEYWORDS = {
    "color", "colors", "c", "facecolor", "facecolors", "edgecolor", "edgecolors", "ec", "fc", "mfc", "mec",
    "markerfacecolor", "markeredgecolor", "ecolor", "linecolor", "palette", "cmap",
}
FMT = re.compile(r"^(?=.*[bgrcmy])(?=.*[-.:,o^v<>1-4spP*hH+xXDd|_])[-.:,o^v<>1-4spP*hH+xXDd|_bgrcmykw]{2,4}$")


def colour_ok(value: str, keyword: str) -> bool:
    v = value.strip()
    low = v.lower()
    palette = {p.lower() for p in plots.PALETTE}
    if low in palette or low in NEUTRAL_NAMES or re.fullmatch(r"c[0-7]", low):
        return True
    if re.fullmatch(r"#?([0-9a-f]{2})\1\1", low) or re.fullmatch(r"#([0-9a-f])\1\1", low):
        return True  # a neutral grey
    if re.fullmatch(r"0?\.\d+|1\.0*", v):
        return True  # matplotlib grey level
    if keyword in {"cmap", "palette"}:
        return low.removesuffix("_r") in SAFE_MAPS
    return False


def colour_findings(tree: ast.AST) -> list[str]:
    """Hard-coded colours outside the course palette in one cell's code."""
    found = []

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for elt in node.elts:
                yield from strings(elt)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                yield from strings(value)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for kw in node.keywords:
            if kw.arg in COLOUR_KEYWORDS:
                for value in strings(kw.value):
                    if not colour_ok(value, kw.arg):
                        found.append(f"{kw.arg}={value!r}")
        if name == "plot":
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and FMT.match(arg.value):
                    found.append(f"format string {arg.value!r}")
        if name in {"set_palette", "color_palette"} and node.args:
            for value in strings(node.args[0]):
                if not colour_ok(value, "palette"):
                    found.append(f"{name}({value!r})")
        if name == "use" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) and func.value.attr == "style":
            found.append("plt.style.use(...) replaces the course style")
    return found


def test_colour_check_catches_non_palette_colours():
    bad = ast.parse("ax.plot(x, y, 'r--')\nsns.barplot(data=d, palette='Set1')\nax.bar(x, y, color='#ff0000')\nplt.style.use('ggplot')")
    good = ast.parse(f"ax.plot(x, y, color='{plots.PALETTE[1]}', marker='o')\nax.axhline(0, color='grey')\nax.imshow(m, cmap='viridis')\nax.plot('x', 'y', data=d)")
    assert len(colour_findings(bad)) == 4
    assert colour_findings(good) == []


@pytest.mark.parametrize("lesson", lesson_params())
def test_no_hard_coded_colours_outside_the_palette(lesson):
    nb = read_nb(lesson)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for finding in colour_findings(parse_cell(lesson, i, cell)):
                problems.append(f"{cell_label(lesson, i, cell)}: {finding}")
    assert not problems, (
        "colours outside the colour-blind-safe course palette (use plots.PALETTE, 'C0'-'C7', greys, or a "
        "colour-blind-safe colormap such as viridis/cividis; pair colour with markers or labels):\n" + "\n".join(problems)
    )


# --------------------------------------------------------------------------- language

#: Terms NIDA lists as stigmatising, with the person-first alternative. Source: NIDA,
#: "Words Matter - Terms to Use and Avoid When Talking About Addiction" (NIDAMED, revised 2021),
#: https://nida.nih.gov/nidamed-medical-health-professionals/health-professions-education/words-matter-terms-to-use-avoid-when-talking-about-addiction
#: (table "Terms to avoid"): addict, user, substance or drug abuser, junkie, alcoholic, habit,
#: abuse, clean/dirty (of test results).
STIGMATISING = [
    (r"\baddicts?\b|\baddicted (?:people|person|persons|individuals|patients|users)\b", "person with a substance use disorder"),
    (r"\b(?:drug |substance |kratom |opioid |alcohol )?abusers?\b", "person who uses drugs / person with a substance use disorder"),
    (r"\bjunkies?\b|\bdruggies?\b|\bcrackheads?\b|\bpotheads?\b|\bdope fiends?\b", "person who uses drugs"),
    (r"\balcoholics\b|\ban alcoholic\b", "person with an alcohol use disorder"),
    (
        r"\b(?:drug|substance|kratom|opioid|heroin|cocaine|cannabis|marijuana|methamphetamine|polysubstance|alcohol)"
        r"(?:\s+or\s+\w+)?\s+abuse\b",
        "substance use / misuse / substance use disorder",
    ),
    (
        r"\b(?:drug|kratom|opioid|heroin|cocaine|cannabis|marijuana|methamphetamine|substance|injection drug)\s+users?\b",
        "people who use kratom / people who use drugs",
    ),
    (r"\bdrug habit\b|\bkratom habit\b", "substance use"),
    (r"\b(?:clean|dirty)\s+(?:urine|drug test|drug screen|test|screen)s?\b", "negative / positive test result"),
]

#: Proper names and exact titles of cited sources that contain a listed term. Quoting them
#: is correct; add a title here (with where it is cited) rather than rewording it.
ALLOWED_PHRASES = [
    "Substance Abuse and Mental Health Services Administration",  # US agency (SAMHSA), publisher of NSDUH
    "Center for Behavioral Health Statistics and Quality, Substance Abuse",  # SAMHSA centre, in citations
    "National Institute on Drug Abuse",  # US agency (NIDA)
    "National Household Survey on Drug Abuse",  # NSDUH's name before 2002
    "Drug Abuse Warning Network",  # SAMHSA's emergency-department surveillance system (DAWN)
    "Center for Substance Abuse Treatment",  # SAMHSA centre
    "Journal of Substance Abuse Treatment",  # journal title in citations
    "Substance Abuse Treatment, Prevention, and Policy",  # journal title in citations
    "Words Matter - Terms to Use and Avoid",  # the NIDA guide itself
    "J Addict Med",  # journal abbreviation (Journal of Addiction Medicine), e.g. Hill et al. 2024 in lesson 07
    "Addict Behav",  # journal abbreviation (Addictive Behaviors)
    "Addict Sci Clin Pract",  # journal abbreviation (Addiction Science & Clinical Practice)
    "Addict Biol",  # journal abbreviation (Addiction Biology)
]

URL = re.compile(r"(?:https?://|www\.)\S+|\bdoi:\s*\S+|<[^>\s]+>")


def language_findings(text: str) -> list[tuple[str, str]]:
    """(term found, suggested wording) in a text, after removing allowed phrases and URLs."""
    text = URL.sub(" ", text)
    for phrase in ALLOWED_PHRASES:
        text = re.sub(re.escape(phrase), " ", text, flags=re.I)
    text = re.sub(r"\s+", " ", text)
    found = []
    for pattern, better in STIGMATISING:
        for match in re.finditer(pattern, text, re.I):
            found.append((match.group(0), better))
    return found


def test_language_check_catches_listed_terms_but_not_allowed_names():
    assert language_findings("Kratom users and drug abusers were surveyed.") == [
        ("drug abusers", "person who uses drugs / person with a substance use disorder"),
        ("Kratom users", "people who use kratom / people who use drugs"),
    ]
    assert language_findings("Data: Substance Abuse and Mental Health Services Administration (SAMHSA).") == []
    assert language_findings("See https://nida.nih.gov/drug-abuse and people who use kratom.") == []
    assert language_findings("an addict") and language_findings("substance abuse") and language_findings("a clean urine test")


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for key in ("text/plain", "text/markdown"):
            if key in out.get("data", {}):
                parts.append(out["data"][key])
        if "text/html" in out.get("data", {}):
            parts.append(re.sub(r"<[^>]+>", " ", out["data"]["text/html"]))
    return "\n".join(parts)


@pytest.mark.parametrize("lesson", lesson_params())
def test_language_about_people_who_use_drugs_is_not_stigmatising(lesson):
    nb = read_nb(lesson)
    problems = []
    for i, cell in enumerate(nb.cells):
        for part, text in (("text", cell.source), ("output", output_text(cell))):
            for term, better in language_findings(text):
                problems.append(f"{cell_label(lesson, i, cell)} [{part}]: {term!r} -> say {better!r}")
    assert not problems, (
        "stigmatising wording (NIDA 'Words Matter'); reword it, or if it is the exact title of a cited "
        "source or an agency's name, add that phrase to ALLOWED_PHRASES in tests/test_notebook_quality.py:\n"
        + "\n".join(problems)
    )


# --------------------------------------------------------------------------- exercises, key points, data


def _assigned(block: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(block)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


@pytest.mark.parametrize("lesson", lesson_params())
def test_exercises_have_solutions_in_variables_and_encoded_checks(lesson):
    nb = read_nb(lesson)
    problems = []
    exercises = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and has_solution(c)]
    if len(exercises) < 3:
        problems.append(f"{rel(lesson)}: {len(exercises)} exercise(s) with `{SOLUTION_BEGIN}`; the standard asks for at least 3")
    for i in exercises:
        cell = nb.cells[i]
        block = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
        names = _assigned(block.group(1)) if block else set()
        if not names:
            problems.append(f"{cell_label(lesson, i, cell)}: assign the answer to a variable between the solution markers")
        following = next(((j, c) for j, c in enumerate(nb.cells[i + 1 :], i + 1) if c.cell_type == "code"), None)
        if following is None or not is_check_cell(following[1]):
            problems.append(f"{cell_label(lesson, i, cell)}: the next code cell must be its check (course_utils.check)")
            continue
        j, check_cell = following
        # the check reads the answer: a variable of the solution block, or one the exercise cell builds from them
        # (the capstone's starting cells assemble their parts into one answer after the block)
        readable = names | _assigned(python_source(cell.source)) if names else names
        if names and not any(re.search(rf"\b{re.escape(n)}\b", check_cell.source) for n in readable):
            problems.append(f"{cell_label(lesson, j, check_cell)}: the check does not read the exercise's variable ({', '.join(sorted(names))})")
    for i, cell in enumerate(nb.cells):
        if not is_check_cell(cell):
            continue
        for node in ast.walk(parse_cell(lesson, i, cell)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"number", "choice", "truth"}:
                expected = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "expected"), None)
                if not (isinstance(expected, ast.Constant) and isinstance(expected.value, str) and expected.value.startswith("ck1:")):
                    problems.append(
                        f"{cell_label(lesson, i, cell)}: write the expected value as the key from check.encode(value) "
                        '(e.g. "ck1:MTM="), never the plain answer'
                    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", lesson_params())
def test_key_points_and_where_the_data_came_from(lesson):
    nb = read_nb(lesson)
    problems = []
    key = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and re.search(r"^## Key points\s*$", c.source, re.M)]
    if not key:
        problems.append(f"{rel(lesson)}: add a `## Key points` section with 3-6 bullets")
    else:
        i, cell = key[0]
        lines = markdown_lines(cell.source)
        start = next(k for k, line in enumerate(lines) if re.match(r"^## Key points\s*$", line))
        n = bullets_after(lines, start)
        if not 3 <= n <= 6:
            problems.append(f"{cell_label(lesson, i, cell)}: {n} key point bullet(s); the standard asks for 3-6")
    data = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and re.search(r"^## Where the data came from", c.source, re.M)]
    if not data:
        problems.append(f"{rel(lesson)}: add a `## Where the data came from` section that prints cu.cite(name)")
    elif not any(c.cell_type == "code" and "cite(" in c.source for c in nb.cells[data[0] :]):
        problems.append(f"{rel(lesson)}: under `## Where the data came from`, print the citation: print(cu.cite(name))")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- instructor guide

GUIDE_SECTIONS = ["Timing plan", "Where students get stuck", "Discussion prompts", "Answers to the *Discuss:* questions", "Running it live"]


def discuss_questions(nb) -> list[str]:
    """The text of every ``*Discuss:*`` question in a lesson."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for para in re.split(r"\n\s*\n", cell.source):
                match = re.search(r"\*Discuss:\*\s*(.+)", para, re.S)
                if match:
                    found.append(normalise(match.group(1)))
    return found


@pytest.mark.parametrize("lesson", lesson_params())
def test_instructor_guide_covers_the_lesson(lesson):
    guide = ROOT / "instructors" / f"{lesson.stem}.md"
    assert guide.exists(), f"{rel(lesson)}: write its instructor guide, {rel(guide)} (see instructors/README.md)"
    text = guide.read_text(encoding="utf-8")
    missing = [s for s in GUIDE_SECTIONS if not re.search(rf"^##+ .*{re.escape(s)}", text, re.M | re.I)]
    assert not missing, f"{rel(guide)}: add the section(s) {missing}"
    flat = normalise(text)
    unanswered = [q for q in discuss_questions(read_nb(lesson)) if q[:60] not in flat]
    assert not unanswered, (
        f"{rel(guide)}: answer every *Discuss:* question of {rel(lesson)} under 'Answers to the *Discuss:* "
        "questions', quoting the question (`> *Discuss:* …`) before the model answer. Unanswered:\n"
        + "\n".join(f"- {q[:100]}" for q in unanswered)
    )
    assert "to be completed" not in text.lower(), f"{rel(guide)}: still marked 'to be completed'; finish it from the lesson"
