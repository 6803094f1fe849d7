"""Load the course datasets, offline, from ``datasets/datapackage.json``.

Every dataset the course uses, real or synthetic, is a CSV file described by
one Frictionless Data Package descriptor.  This module reads that descriptor
with the standard library and pandas only:

* :func:`list_datasets` -- what is there (real or synthetic, rows, source, licence);
* :func:`load` -- one dataset as a DataFrame with meaningful dtypes;
* :func:`describe` -- its data dictionary;
* :func:`cite` -- how to cite it;
* :func:`verify` -- every file checked against its sha256 hash.

Examples
--------
>>> import course_utils as cu
>>> df = cu.load("nhefs")
>>> len(df)
1629
>>> cu.list_datasets().loc["nhefs", "kind"]
'real'
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DatasetError",
    "DatasetNotFound",
    "DataIntegrityError",
    "data_dir",
    "list_datasets",
    "load",
    "describe",
    "cite",
    "verify",
]

DESCRIPTOR = "datapackage.json"
ENV_VAR = "COURSE_DATA_DIR"
RESTORE_HINT = (
    "Restore it with `git checkout -- datasets/` from the course repository, "
    "or regenerate it with `python tools/export_datasets.py` then `python tools/build_datapackage.py` "
    "(see tools/README.md)."
)


class DatasetError(Exception):
    """Base class for problems with the course data."""


class DatasetNotFound(DatasetError, KeyError):
    """No dataset of that name exists."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class DataIntegrityError(DatasetError):
    """A data file is missing, altered or does not match its schema."""


def data_dir() -> Path:
    """The folder that holds ``datapackage.json`` and the CSV files.

    Looked up, in order: the ``COURSE_DATA_DIR`` environment variable; the
    ``datasets/`` folder of a source checkout (editable install, notebooks,
    tests); the copy bundled inside an installed wheel (``course_utils/_data``).
    The working directory plays no part.

    Returns
    -------
    pathlib.Path
        The folder (inside the installed package, or ``datasets/`` of a checkout).

    Examples
    --------
    >>> (data_dir() / "datapackage.json").is_file()
    True
    """
    candidates = []
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]))
    here = Path(__file__).resolve().parent
    candidates += [here.parents[1] / "datasets", here / "_data"]
    for folder in candidates:
        if (folder / DESCRIPTOR).is_file():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise DataIntegrityError(
        f"Cannot find {DESCRIPTOR}; looked in: {looked}. "
        f"Set {ENV_VAR} to the course's datasets/ folder, or {RESTORE_HINT}"
    )


@lru_cache(maxsize=4)
def _read_descriptor(path: Path, mtime_ns: int) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataIntegrityError(f"{path} is not valid JSON ({exc}). {RESTORE_HINT}") from exc


def _package() -> dict[str, Any]:
    path = data_dir() / DESCRIPTOR
    return _read_descriptor(path, path.stat().st_mtime_ns)


def _resources() -> dict[str, dict[str, Any]]:
    return {res["name"]: res for res in _package()["resources"]}


def _resource(name: str) -> dict[str, Any]:
    resources = _resources()
    if not isinstance(name, str):
        raise TypeError(f"a dataset name is a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key in resources:
        return resources[key]
    close = difflib.get_close_matches(key, resources, n=3, cutoff=0.5)
    suggestion = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise DatasetNotFound(
        f"No dataset named {name!r}.{suggestion} "
        f"Valid names: {', '.join(sorted(resources))}. See course_utils.list_datasets()."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected_hash(resource: dict[str, Any]) -> str:
    return str(resource.get("hash", "")).split(":", 1)[-1]


@lru_cache(maxsize=64)
def _checked(path: Path, mtime_ns: int, size: int, expected: str) -> None:
    """Hash a file once per (path, mtime, size); raise if it does not match."""
    actual = _sha256(path)
    if expected and actual != expected:
        raise DataIntegrityError(
            f"{path.name} does not match its recorded hash: the file was changed or corrupted.\n"
            f"  expected sha256: {expected}\n  actual sha256:   {actual}\n{RESTORE_HINT}"
        )


def _data_path(resource: dict[str, Any]) -> Path:
    path = data_dir() / resource["path"]
    if not path.is_file():
        raise DataIntegrityError(f"Data file {path} for dataset {resource['name']!r} is missing. {RESTORE_HINT}")
    return path


def _check_file(resource: dict[str, Any]) -> Path:
    path = _data_path(resource)
    stat = path.stat()
    _checked(path, stat.st_mtime_ns, stat.st_size, _expected_hash(resource))
    return path


# ---------------------------------------------------------------- reading

_PANDAS_TYPES = {"integer": "Int64", "number": "float64", "string": "string", "year": "Int64"}


@dataclass(frozen=True)
class _Column:
    name: str
    type: str
    categories: tuple[tuple[Any, str], ...]
    ordered: bool
    true_values: tuple[str, ...]
    false_values: tuple[str, ...]
    missing: tuple[str, ...]

    @classmethod
    def from_field(cls, field: dict[str, Any], default_missing: list[str]) -> "_Column":
        cats = field.get("categories") or ()
        pairs = tuple(
            (c["value"], str(c.get("label", c["value"]))) if isinstance(c, dict) else (c, str(c)) for c in cats
        )
        return cls(
            name=field["name"],
            type=field.get("type", "string"),
            categories=pairs,
            ordered=bool(field.get("categoriesOrdered", False)),
            true_values=tuple(field.get("trueValues", ("true", "True", "TRUE", "1"))),
            false_values=tuple(field.get("falseValues", ("false", "False", "FALSE", "0"))),
            missing=tuple(field.get("missingValues", default_missing)),
        )

    def convert(self, raw: pd.Series, dataset: str) -> pd.Series:
        values = raw.astype("string").str.strip()
        values = values.mask(values.isin(self.missing) | values.isna())
        if self.type == "boolean":
            known = values.isna() | values.isin(self.true_values) | values.isin(self.false_values)
            self._no_strays(values[~known], dataset, f"true/false values {self.true_values + self.false_values}")
            out = pd.Series(pd.NA, index=values.index, dtype="boolean")
            out[values.isin(self.true_values)] = True
            out[values.isin(self.false_values)] = False
            return out
        if self.categories:
            return self._categorical(values, dataset)
        if self.type in ("integer", "number", "year"):
            numbers = pd.to_numeric(values, errors="coerce")
            self._no_strays(values[numbers.isna() & values.notna()], dataset, f"{self.type}s")
            if self.type != "number":
                fractional = numbers.notna() & ((numbers % 1) != 0)
                self._no_strays(values[fractional], dataset, "whole numbers")
            return numbers.astype(_PANDAS_TYPES[self.type])
        return values.astype("string")

    def _categorical(self, values: pd.Series, dataset: str) -> pd.Series:
        mapping: dict[str, str] = {}
        for value, label in self.categories:
            mapping[str(value)] = label
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                mapping[repr(float(value))] = label  # "1.0" as well as "1"
        mapped = values.map(mapping)
        self._no_strays(values[values.notna() & mapped.isna()], dataset, "one of the coded categories")
        labels = list(dict.fromkeys(label for _, label in self.categories))
        return pd.Series(
            pd.Categorical(mapped, categories=labels, ordered=self.ordered), index=values.index, name=values.name
        )

    def _no_strays(self, strays: pd.Series, dataset: str, expected: str) -> None:
        if len(strays):
            shown = ", ".join(repr(v) for v in strays.unique()[:5])
            raise DataIntegrityError(
                f"Column {self.name!r}{' of ' + repr(dataset) if dataset else ''} holds values that are not "
                f"{expected}: {shown} (rows {', '.join(str(i + 2) for i in strays.index[:5])} of the CSV file, "
                f"counting the header as line 1). The file or its schema was changed. {RESTORE_HINT}"
            )


def _columns(resource: dict[str, Any]) -> list[_Column]:
    schema = resource.get("schema", {})
    default_missing = list(schema.get("missingValues", [""]))
    return [_Column.from_field(f, default_missing) for f in schema.get("fields", [])]


def load(name: str, *, codes: bool = False) -> pd.DataFrame:
    """Load a course dataset as a DataFrame.

    Parameters
    ----------
    name : str
        A dataset name from :func:`list_datasets` (case-insensitive).
    codes : bool, default False
        Keep coded categories as their numeric codes instead of labelled
        categoricals (useful for regression formulas that expect 0/1).

    Returns
    -------
    pandas.DataFrame
        Columns typed by the data dictionary: labelled categoricals where the
        codebook gives labels, booleans as booleans, whole numbers as nullable
        integers, missing-value codes as ``<NA>``.  ``df.attrs`` carries the
        dataset name, title, citation and whether it is synthetic.

    Raises
    ------
    DatasetNotFound
        Unknown name (the message lists valid names and close matches).
    DataIntegrityError
        The file is missing, does not match its sha256 hash, or does not match
        its schema.

    Examples
    --------
    >>> df = load("nhefs")
    >>> df["qsmk"].cat.categories.tolist()[:1]
    ['did not quit']
    """
    resource = _resource(name)
    path = _check_file(resource)
    columns = _columns(resource)
    if not codes:
        try:
            frame = _read_fast(path, columns)
        except _NeedsCarefulRead:
            frame = _read_careful(path, columns, resource["name"], codes)
    else:
        frame = _read_careful(path, columns, resource["name"], codes)
    frame.attrs.update(
        {
            "name": resource["name"],
            "title": resource.get("title", ""),
            "synthetic": bool(resource.get("synthetic", False)),
            "citation": resource.get("citation", ""),
        }
    )
    return frame


class _NeedsCarefulRead(Exception):
    """The fast reader met something it cannot explain; re-read carefully for a precise error."""


def _read_fast(path: Path, columns: list[_Column]) -> pd.DataFrame:
    """Parse with pandas' C reader, typing each column from the schema (the common path).

    Coded and yes/no columns are parsed as categoricals, so only their few
    distinct codes are looked up, not every row.
    """
    import numpy as np

    numeric = {"integer", "number", "year"}
    dtype = {
        c.name: "category" if c.categories or c.type == "boolean" else "float64" if c.type in numeric else object
        for c in columns
    }
    na_values = {c.name: list(c.missing) for c in columns}
    try:
        raw = pd.read_csv(path, dtype=dtype, na_values=na_values, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise _NeedsCarefulRead from exc
    if list(raw.columns) != [c.name for c in columns]:
        raise _NeedsCarefulRead
    out = {}
    for c in columns:
        values = raw[c.name]
        if dtype[c.name] == "category":
            found = [str(v) for v in values.cat.categories]
            codes = values.cat.codes.to_numpy()
            missing = codes < 0
            if c.categories:
                labels = list(dict.fromkeys(label for _, label in c.categories))
                keys = {}
                for value, label in c.categories:
                    keys[str(value)] = labels.index(label)
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        keys[repr(float(value))] = labels.index(label)
                if any(f not in keys for f in found):
                    raise _NeedsCarefulRead
                recoded = np.where(missing, -1, np.array([keys[f] for f in found] or [0])[codes])
                out[c.name] = pd.Series(
                    pd.Categorical.from_codes(recoded, categories=labels, ordered=c.ordered), index=raw.index
                )
            else:
                lookup = {**{v: True for v in c.true_values}, **{v: False for v in c.false_values}}
                if any(f not in lookup for f in found):
                    raise _NeedsCarefulRead
                flags = np.array([lookup[f] for f in found] or [False])[codes]
                out[c.name] = pd.Series(pd.arrays.BooleanArray(np.where(missing, False, flags), missing),
                                        index=raw.index)
        elif c.type in numeric:
            if c.type != "number" and (values.notna() & (values % 1 != 0)).any():
                raise _NeedsCarefulRead
            out[c.name] = values.astype(_PANDAS_TYPES[c.type])
        else:
            out[c.name] = values.astype("string")
    return pd.DataFrame(out)


def _read_careful(path: Path, columns: list[_Column], dataset: str, codes: bool) -> pd.DataFrame:
    """Read every field as text and convert it with checks that name the offending rows."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataIntegrityError(f"{path.name} cannot be read as CSV ({exc}). {RESTORE_HINT}") from exc
    expected = [c.name for c in columns]
    if list(raw.columns) != expected:
        missing = [c for c in expected if c not in raw.columns]
        extra = [c for c in raw.columns if c not in expected]
        raise DataIntegrityError(
            f"{path.name} does not match its schema: missing columns {missing}, unexpected columns {extra}. "
            f"{RESTORE_HINT}"
        )
    return pd.DataFrame(
        {c.name: (_plain(c, raw[c.name], dataset) if codes else c.convert(raw[c.name], dataset)) for c in columns}
    )


def _plain(column: _Column, raw: pd.Series, dataset: str) -> pd.Series:
    """Convert without applying category labels (``codes=True``)."""
    unlabelled = _Column(column.name, column.type, (), False, column.true_values,
                         column.false_values, column.missing)
    return unlabelled.convert(raw, dataset)


# ---------------------------------------------------------------- metadata

def _first_source(resource: dict[str, Any]) -> str:
    sources = resource.get("sources") or [{}]
    first = sources[0]
    return first.get("title") or first.get("path", "")


def _licence(resource: dict[str, Any]) -> str:
    licences = resource.get("licenses") or [{}]
    return "; ".join(lic.get("title") or lic.get("name", "") for lic in licences)


def list_datasets() -> pd.DataFrame:
    """All datasets, real and synthetic, one row each.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``name`` with ``title``, ``kind`` ("real" or "synthetic"),
        ``rows``, ``columns``, ``source`` and ``licence``.

    Examples
    --------
    >>> "bcg" in list_datasets().index
    True
    """
    rows = []
    for res in _resources().values():
        rows.append(
            {
                "name": res["name"],
                "title": res.get("title", ""),
                "kind": "synthetic" if res.get("synthetic") else "real",
                "rows": res.get("rows"),
                "columns": len(res.get("schema", {}).get("fields", [])),
                "source": _first_source(res),
                "licence": _licence(res),
            }
        )
    frame = pd.DataFrame(rows).set_index("name").sort_index()
    frame["rows"] = frame["rows"].astype("Int64")
    return frame


def describe(name: str) -> pd.DataFrame:
    """The data dictionary of a dataset: one row per column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``column`` with ``type``, ``description``, ``unit``,
        ``categories`` ("code = label; ...") and ``missing`` (codes read as NA).

    Parameters
    ----------
    name : str
        A dataset name from :func:`list_datasets`.

    Examples
    --------
    >>> describe("nhefs").loc["wt82_71", "unit"]
    'kg'
    """
    resource = _resource(name)
    schema = resource.get("schema", {})
    default_missing = schema.get("missingValues", [""])
    rows = []
    for field in schema.get("fields", []):
        cats = field.get("categories") or []
        rows.append(
            {
                "column": field["name"],
                "type": field.get("type", "string"),
                "description": field.get("description", ""),
                "unit": field.get("unit", ""),
                "categories": "; ".join(
                    f"{c['value']} = {c.get('label', c['value'])}" if isinstance(c, dict) else str(c) for c in cats
                ),
                "missing": ", ".join(repr(m) for m in field.get("missingValues", default_missing)),
            }
        )
    return pd.DataFrame(rows).set_index("column")


def cite(name: str) -> str:
    """How to cite a dataset: the original study, the source, and the terms.

    Parameters
    ----------
    name : str
        A dataset name from :func:`list_datasets`.

    Returns
    -------
    str
        The citation text: original study, source, licence.

    Examples
    --------
    >>> "Hern" in cite("nhefs")
    True
    """
    res = _resource(name)
    kind = "SYNTHETIC data (simulated for teaching; not real people)" if res.get("synthetic") else "Real data"
    lines = [f"{res.get('title', res['name'])} [{res['name']}] — {kind}"]
    if res.get("citation"):
        lines.append(f"Cite: {res['citation']}")
    for src in res.get("sources", []):
        lines.append(f"Source: {src.get('title', '')} {src.get('path', '')}".rstrip())
    exported = res.get("exportedFrom")
    if exported:
        lines.append(
            "Exported from: " + ", ".join(f"{k} {v}" for k, v in exported.items())
        )
    lines.append(f"Terms: {_licence(res)}")
    return "\n".join(lines)


def verify(*, raise_on_error: bool = True) -> pd.DataFrame:
    """Check every data file against the sha256 hash in the descriptor.

    Returns
    -------
    pandas.DataFrame
        One row per dataset: ``file``, ``ok``, ``expected``, ``actual``.

    Raises
    ------
    DataIntegrityError
        When ``raise_on_error`` and a file is missing or altered; the message
        names each file with its expected and actual hash.

    Parameters
    ----------
    raise_on_error : bool
        Raise :class:`DataIntegrityError` if any file is missing or differs (default); False
        returns the table with the problems instead.

    Examples
    --------
    >>> bool(verify()["ok"].all())
    True
    """
    rows = []
    for res in _resources().values():
        path = data_dir() / res["path"]
        expected = _expected_hash(res)
        actual = _sha256(path) if path.is_file() else "missing"
        rows.append({"name": res["name"], "file": res["path"], "ok": actual == expected,
                     "expected": expected, "actual": actual})
    report = pd.DataFrame(rows).set_index("name").sort_index()
    bad = report[~report["ok"]]
    if raise_on_error and len(bad):
        details = "\n".join(
            f"  {row.file}: expected sha256 {row.expected}, actual {row.actual}" for row in bad.itertuples()
        )
        raise DataIntegrityError(f"{len(bad)} data file(s) failed verification:\n{details}\n{RESTORE_HINT}")
    return report
