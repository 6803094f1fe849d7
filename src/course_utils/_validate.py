"""The one validation kit every analysis module uses (private).

The same bad input gets the same kind of message in every module: what was wrong,
where, and what to do.  Every error is a :class:`CourseInputError` (a ``ValueError``);
modules subclass it for their own errors (``SurveyDesignError``, ``CausalInputError``, ...)
so a learner can catch either.

The one missing-value policy
----------------------------
Missing values in the columns an analysis uses **raise by default**, naming the columns
and how many rows are missing, and saying how to proceed.  With ``dropna=True`` the
incomplete rows are dropped, a ``UserWarning`` says how many, and the caller records that
number in the result (``n`` counts the rows used; ``attrs["n_dropped"]`` the rows left out).
Nothing is dropped silently.

Examples
--------
>>> import pandas as pd
>>> from course_utils._validate import require_columns
>>> require_columns(pd.DataFrame({"age": [30]}), ["agee"], what="the survey")
Traceback (most recent call last):
...
course_utils._validate.CourseInputError: the survey has no column 'agee' (did you mean 'age'?). Columns available: 'age'.
"""

from __future__ import annotations

import difflib
import io
import numbers
import tokenize
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "CourseInputError",
    "require_frame",
    "require_columns",
    "numeric_column",
    "binary_column",
    "finite_numbers",
    "nonnegative",
    "handle_missing",
    "bounded_number",
    "expit",
    "formula_columns",
]


class CourseInputError(ValueError):
    """Input an analysis cannot use; the message says what was wrong and what to do."""


def _shown(names: Iterable[object], limit: int = 12) -> str:
    names = list(names)
    text = ", ".join(repr(str(n)) for n in names[:limit])
    return text + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def require_frame(data: object, what: str = "the data", *, error: type[CourseInputError] = CourseInputError) -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame with at least one row; else raise.

    Parameters
    ----------
    data : object
        What the caller was given.
    what : str
        How to name it in the message (``"the trial data"``).
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    pandas.DataFrame
        ``data`` itself.

    Examples
    --------
    >>> require_frame(pd.DataFrame({"a": []}), "the trial data")
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: the trial data has no rows; check the filter or the file that produced it.
    """
    if not isinstance(data, pd.DataFrame):
        raise error(
            f"{what} must be a pandas DataFrame, got {type(data).__name__}; "
            "load it with cu.load(name) or pd.DataFrame(...)"
        )
    if len(data) == 0:
        raise error(f"{what} has no rows; check the filter or the file that produced it.")
    return data


def require_columns(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    what: str = "the data",
    *,
    error: type[CourseInputError] = CourseInputError,
) -> None:
    """Raise unless every column is present, naming the missing ones and suggesting a close match.

    Parameters
    ----------
    data : pandas.DataFrame
        The table.
    columns : str or sequence of str
        Columns the analysis needs.
    what : str
        How to name the table in the message.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"arm": [1]}), ["arm"])
    """
    wanted = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in wanted if c not in data.columns]
    if not missing:
        return
    available = [str(c) for c in data.columns]
    parts = []
    for name in missing:
        close = difflib.get_close_matches(str(name), available, n=1)
        parts.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    noun = "column" if len(missing) == 1 else "columns"
    raise error(f"{what} has no {noun} {', '.join(parts)}. Columns available: {_shown(available)}.")


def _is_text(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_string_dtype(series.dtype)
        or (series.dtype == object and series.map(lambda v: isinstance(v, str)).any())
    )


def numeric_column(
    data: pd.DataFrame, column: str, what: str = "the data", *, error: type[CourseInputError] = CourseInputError
) -> pd.Series:
    """The column as float, refusing text (numeric strings included) and categories.

    Parameters
    ----------
    data : pandas.DataFrame
        The table.
    column : str
        The column to read.
    what : str
        How to name the table in the message.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    pandas.Series
        float64 values (booleans become 0/1; missing values stay NaN).

    Examples
    --------
    >>> numeric_column(pd.DataFrame({"y": ["1", "2"]}), "y")
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: column 'y' of the data holds text (e.g. '1'), not numbers; convert it with pd.to_numeric(df['y']) first, or check that you chose the right column.
    """
    require_columns(data, [column], what, error=error)
    series = data[column]
    if _is_text(series):
        example = next(v for v in series if isinstance(v, str))
        raise error(
            f"column {column!r} of {what} holds text (e.g. {example!r}), not numbers; convert it with "
            f"pd.to_numeric(df[{column!r}]) first, or check that you chose the right column."
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        raise error(
            f"column {column!r} of {what} is categorical ({_shown(series.cat.categories, 5)}); "
            "use a numeric column, or code the categories as numbers yourself"
        )
    try:
        return series.astype("float64")
    except (TypeError, ValueError) as exc:
        raise error(f"column {column!r} of {what} cannot be read as numbers ({exc}); clean it first") from exc


def binary_column(
    data: pd.DataFrame, column: str, what: str = "the data", *, error: type[CourseInputError] = CourseInputError
) -> pd.Series:
    """The column as 0/1 floats: accepts True/False or the numbers 0 and 1 (NaN stays missing).

    Text such as ``"0"``/``"1"`` or ``"yes"``/``"no"`` is refused rather than read as two
    categories, because a 0/1 column stored as text is almost always a reading mistake.

    Parameters
    ----------
    data : pandas.DataFrame
        The table.
    column : str
        The column to read.
    what : str
        How to name the table in the message.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    pandas.Series
        float64 values in {0, 1} or NaN.

    Examples
    --------
    >>> binary_column(pd.DataFrame({"a": [True, False]}), "a").tolist()
    [1.0, 0.0]
    >>> binary_column(pd.DataFrame({"a": [0, 2]}), "a")
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: column 'a' of the data must be 0/1 or True/False, but holds 2.0; recode it, e.g. df['a'] = df['a'] == <the level that means yes>.
    """
    require_columns(data, [column], what, error=error)
    series = data[column]
    if _is_text(series) or isinstance(series.dtype, pd.CategoricalDtype):
        levels = _shown(pd.unique(series.dropna().astype(str))[:5], 5)
        raise error(
            f"column {column!r} of {what} holds text or categories ({levels}), not 0/1 or True/False; "
            f"recode it, e.g. df[{column!r}] = df[{column!r}] == <the level that means yes>."
        )
    values = numeric_column(data, column, what, error=error)
    odd = values[values.notna() & ~values.isin([0.0, 1.0])]
    if len(odd):
        raise error(
            f"column {column!r} of {what} must be 0/1 or True/False, but holds {float(odd.iloc[0])!r}; "
            f"recode it, e.g. df[{column!r}] = df[{column!r}] == <the level that means yes>."
        )
    return values


def finite_numbers(
    values: object, name: str, *, error: type[CourseInputError] = CourseInputError, allow_nan: bool = False
) -> np.ndarray:
    """A 1-d float array of finite numbers; refuses text (numeric strings included), inf and NaN.

    Parameters
    ----------
    values : scalar or array-like
        The numbers.
    name : str
        What they are, for the message (``"the effects"``).
    error : type
        The module's subclass of :class:`CourseInputError` to raise.
    allow_nan : bool
        Let NaN through (the caller handles missing values).

    Returns
    -------
    numpy.ndarray
        float64, one dimension.

    Examples
    --------
    >>> finite_numbers([0.1, 0.2], "the effects").tolist()
    [0.1, 0.2]
    >>> finite_numbers(["0.1"], "the effects")
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: the effects must be numbers, but one is the text '0.1'; convert with pd.to_numeric or float() first.
    """
    items = np.atleast_1d(np.asarray(values, dtype=object)).ravel()
    for item in items:
        if isinstance(item, (str, bytes)):
            raise error(f"{name} must be numbers, but one is the text {item!r}; convert with pd.to_numeric or float() first.")
        if item is not None and item is not pd.NA and not isinstance(item, (numbers.Number, np.number, np.bool_)):
            raise error(f"{name} must be numbers, but one is a {type(item).__name__} ({item!r}).")
    array = np.array([np.nan if (v is None or v is pd.NA) else v for v in items], dtype="float64")
    bad = ~np.isfinite(array) if not allow_nan else np.isinf(array)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise error(
            f"{name} must be finite numbers, but value {position} is {float(array[position])!r}; "
            "remove or fix it (missing values are not allowed here)."
        )
    return array


def nonnegative(values: object, name: str, *, error: type[CourseInputError] = CourseInputError) -> np.ndarray:
    """Finite numbers that are all >= 0 (weights, variances, counts).

    Parameters
    ----------
    values : scalar or array-like
        The numbers.
    name : str
        What they are, for the message.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    numpy.ndarray
        float64, one dimension.

    Examples
    --------
    >>> nonnegative([1, -2], "the weights")
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: the weights must not be negative, but value 1 is -2.0; check how they were computed.
    """
    array = finite_numbers(values, name, error=error)
    negative = array < 0
    if negative.any():
        position = int(np.flatnonzero(negative)[0])
        raise error(f"{name} must not be negative, but value {position} is {float(array[position])!r}; check how they were computed.")
    return array


def handle_missing(
    data: pd.DataFrame,
    columns: Sequence[str],
    dropna: bool,
    what: str = "the data",
    *,
    error: type[CourseInputError] = CourseInputError,
) -> tuple[pd.DataFrame, int]:
    """Apply the course's one missing-value policy to the columns an analysis uses.

    Parameters
    ----------
    data : pandas.DataFrame
        The table.
    columns : sequence of str
        The columns the analysis reads.
    dropna : bool
        False (the default everywhere): raise if any of them has a missing value.
        True: drop the incomplete rows and warn how many.
    what : str
        How to name the table in the message.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    (pandas.DataFrame, int)
        The rows to analyse and how many were dropped (record it in the result).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, None, 3.0]})
    >>> handle_missing(df, ["y"], dropna=False)
    Traceback (most recent call last):
    ...
    course_utils._validate.CourseInputError: the data has missing values in 'y' (1 row); pass dropna=True to analyse the 2 complete rows (the result records how many were left out), or fill them in first.
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kept, dropped = handle_missing(df, ["y"], dropna=True)
    >>> len(kept), dropped
    (2, 1)
    """
    require_columns(data, list(columns), what, error=error)
    missing = data[list(columns)].isna()
    incomplete = missing.any(axis=1)
    n_dropped = int(incomplete.sum())
    if n_dropped == 0:
        return data, 0
    counts = missing.sum()
    detail = ", ".join(f"{c!r} ({int(k)} row{'s' if k != 1 else ''})" for c, k in counts.items() if k)
    if not dropna:
        raise error(
            f"{what} has missing values in {detail}; pass dropna=True to analyse the "
            f"{len(data) - n_dropped} complete rows (the result records how many were left out), or fill them in first."
        )
    kept = data.loc[~incomplete]
    if len(kept) == 0:
        raise error(f"{what} has no complete rows in {_shown(columns)}: every row misses at least one of them.")
    warnings.warn(
        f"{what}: left out {n_dropped} of {len(data)} rows with missing values in {detail} (dropna=True).",
        UserWarning,
        stacklevel=3,
    )
    return kept, n_dropped


def bounded_number(
    value: object,
    name: str,
    low: float,
    high: float,
    *,
    meaning: str,
    include_low: bool = True,
    include_high: bool = True,
    hint: str = "",
) -> float:
    """One number in a stated range (a simulation setting, a share, an effect size).

    Text is refused even when it reads as a number (``"0.5"``), as are True/False,
    NaN and infinity: a setting passed as text is almost always a mistake.

    Parameters
    ----------
    value : object
        What the caller was given.
    name : str
        The parameter's name.
    low, high : float
        The allowed range.
    meaning : str
        What the number is, completing "NAME is ..." (``"a proportion between 0 and 1"``).
    include_low, include_high : bool
        Whether the range's ends are allowed.
    hint : str
        Added to the out-of-range message (e.g. how to convert an odds ratio).

    Returns
    -------
    float
        The value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    CourseInputError
        If it is outside the range.

    Examples
    --------
    >>> bounded_number(0.2, "share", 0, 1, meaning="a proportion between 0 and 1")
    0.2
    >>> bounded_number("0.2", "share", 0, 1, meaning="a proportion between 0 and 1")
    Traceback (most recent call last):
    ...
    TypeError: share is a proportion between 0 and 1, got '0.2' (text: pass the number itself, e.g. 0.2)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        extra = ""
        if isinstance(value, str):
            try:
                extra = f" (text: pass the number itself, e.g. {float(value)!r})"
            except ValueError:
                extra = " (text, not a number)"
        raise TypeError(f"{name} is {meaning}, got {value!r}{extra}")
    number = float(value)
    below = number < low if include_low else number <= low
    above = number > high if include_high else number >= high
    if not np.isfinite(number) or below or above:
        left, right = ("[" if include_low else "("), ("]" if include_high else ")")
        raise CourseInputError(
            f"{name} must be in {left}{low:g}, {high:g}{right} ({meaning}), got {value!r}" + (f"; {hint}" if hint else "")
        )
    return number


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise.

    Parameters
    ----------
    x : numpy.ndarray
        Log-odds.

    Returns
    -------
    numpy.ndarray
        Probabilities.

    Examples
    --------
    >>> expit(np.array([0.0])).tolist()
    [0.5]
    """
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def formula_columns(
    formula: str, data: pd.DataFrame, *, error: type[CourseInputError] = CourseInputError
) -> list[str]:
    """Columns of ``data`` named in a model formula (as names or quoted inside ``Q("...")``), in order.

    Used to apply the missing-value policy to exactly the columns a model reads.

    Parameters
    ----------
    formula : str
        A patsy/formulaic formula such as ``"y ~ a + C(b)"``.
    data : pandas.DataFrame
        The table the formula refers to.
    error : type
        The module's subclass of :class:`CourseInputError` to raise.

    Returns
    -------
    list of str
        The columns, each once, in the order they appear.

    Examples
    --------
    >>> formula_columns('y ~ a + C(b) + Q("c d")', pd.DataFrame(columns=["a", "b", "c d", "y", "z"]))
    ['y', 'a', 'b', 'c d']
    """
    found: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(formula).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise error(f"cannot read the formula {formula!r}: {exc}") from exc
    for tok in tokens:
        name = None
        if tok.type == tokenize.NAME:
            name = tok.string
        elif tok.type == tokenize.STRING:
            name = tok.string.strip("\"'")
        if name is not None and name in data.columns and name not in found:
            found.append(name)
    return found
