"""Every docstring example in course_utils runs and gives what it shows.

The examples are the first documentation a learner or instructor reads, so a
wrong one is a bug.
"""

import doctest
import importlib
import pkgutil

import pytest

import course_utils

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(course_utils.__path__, prefix="course_utils.")
    if not info.name.rsplit(".", 1)[-1].startswith("_")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}; run python -m doctest -v on it"
