"""The one validation kit (course_utils._validate): same bad input, same kind of message."""

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

from course_utils import _validate as v


def test_docstring_examples_run():
    result = doctest.testmod(v)
    assert result.attempted >= 10 and result.failed == 0


def test_every_error_is_a_value_error_and_modules_can_subclass_it():
    class TrialError(v.CourseInputError):
        pass

    with pytest.raises(TrialError, match="no rows"):
        v.require_frame(pd.DataFrame(), "the trial", error=TrialError)
    assert issubclass(v.CourseInputError, ValueError)


def test_not_a_frame_and_missing_columns_are_named_with_a_suggestion():
    with pytest.raises(v.CourseInputError, match="must be a pandas DataFrame, got list"):
        v.require_frame([1, 2])
    df = pd.DataFrame({"treatment": [1], "outcome": [0]})
    with pytest.raises(v.CourseInputError, match=r"no columns 'treatmnt' \(did you mean 'treatment'\?\), 'zzz'"):
        v.require_columns(df, ["treatmnt", "zzz"])


@pytest.mark.parametrize("values", [["0", "1"], pd.array(["0", "1"], dtype="string")])
def test_text_coded_zero_one_is_refused_not_read_as_two_categories(values):
    df = pd.DataFrame({"a": values})
    with pytest.raises(v.CourseInputError, match="holds text"):
        v.binary_column(df, "a")
    with pytest.raises(v.CourseInputError, match="pd.to_numeric"):
        v.numeric_column(df, "a")


def test_binary_accepts_bool_and_zero_one_numbers_and_keeps_missing():
    df = pd.DataFrame({"b": [True, False], "n": [1.0, np.nan]})
    assert v.binary_column(df, "b").tolist() == [1.0, 0.0]
    out = v.binary_column(df, "n")
    assert out.iloc[0] == 1.0 and np.isnan(out.iloc[1])
    with pytest.raises(v.CourseInputError, match="categor"):
        v.binary_column(pd.DataFrame({"c": pd.Categorical(["yes", "no"])}), "c")


def test_numbers_refuse_text_infinity_and_negatives():
    with pytest.raises(v.CourseInputError, match="text '2'"):
        v.finite_numbers([1.0, "2"], "the effects")
    with pytest.raises(v.CourseInputError, match="value 1 is inf"):
        v.finite_numbers([1.0, np.inf], "the effects")
    with pytest.raises(v.CourseInputError, match="value 0 is nan"):
        v.finite_numbers([np.nan], "the variances")
    assert np.isnan(v.finite_numbers([np.nan], "x", allow_nan=True)[0])
    with pytest.raises(v.CourseInputError, match="must not be negative, but value 2 is -0.5"):
        v.nonnegative([0, 1, -0.5], "the weights")


def test_missing_values_raise_by_default_and_are_reported_when_dropped():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, np.nan], "x": [1, 2, None, 4]})
    with pytest.raises(v.CourseInputError, match=r"'y' \(2 rows\), 'x' \(1 row\); pass dropna=True to analyse the 1 complete rows"):
        v.handle_missing(df, ["y", "x"], dropna=False)
    with pytest.warns(UserWarning, match="left out 3 of 4 rows"):
        kept, dropped = v.handle_missing(df, ["y", "x"], dropna=True)
    assert (len(kept), dropped) == (1, 3)
    complete = pd.DataFrame({"y": [1.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing missing: no warning, nothing dropped
        assert v.handle_missing(complete, ["y"], dropna=True)[1] == 0
    with pytest.raises(v.CourseInputError, match="no complete rows"):
        v.handle_missing(pd.DataFrame({"y": [np.nan]}), ["y"], dropna=True)
