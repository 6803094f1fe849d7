"""Read a real NSDUH public-use file into the columns the course uses.

The lessons run by default on the SYNTHETIC survey
(:func:`course_utils.simulate.nsduh_like`).  An instructor who has downloaded
the real National Survey on Drug Use and Health public-use file (PUF) from
SAMHSA can read it with :func:`read_puf` and run the same code on it, because
the extract has the same column names and codes as the synthetic survey:

============  =====================================================================
column        meaning (and where it comes from in the PUF)
============  =====================================================================
QUESTID2      respondent identifier
VESTR_C       variance stratum   (2015–2019 ``VESTR``; 2020 ``VESTRQ1Q4_C``; 2021+ ``VESTR_C``)
VEREP         variance PSU within stratum (``VEREP`` in every era)
ANALWT2_C     analysis weight    (2015–2019 ``ANALWT_C``; 2020 ``ANALWTQ1Q4_C``; 2021+ ``ANALWT2_C``)
CATAG6        age group, labelled (12-17, 18-25, 26-34, 35-49, 50-64, 65+)
IRSEX         sex, labelled (male, female)
AMDEYR        adult past-year major depressive episode, 1 = yes, 0 = no (PUF: 1 = yes, 2 = no)
KSSLR6MON     K6 distress score, past month, 0–24 (2015–2020 ``K6SCMON``)
SPDPSTMON     serious psychological distress, past month, 1/0 (2015–2020 ``SPDMON``)
kratom_py     past-year kratom use, 1/0 — from the item(s) you name (see below)
...           any other items you name with ``items=``
============  =====================================================================

The design-variable names per era are those of the course's fact H1
(``cu.fact("H1")``); the K6/SPD names for 2015–2020 follow fact H2 ("older
files").  Check them against your year's codebook: pass
``columns={"KSSLR6MON": "..."}`` to override any of them.

Kratom items
------------
The names of NSDUH's kratom questions (asked from 2019) were **not** verified
from a codebook, so :func:`read_puf` does not guess them: pass
``kratom_items={"kratom_py": "<PUF name of the past-year item>"}``.  If you do
not, or the name is not in the file, the error lists the columns whose names
look like kratom items, to help you find them in the codebook.

Special codes
-------------
NSDUH codes non-answers as numbers (PUF codebook, section on special codes):
85 bad data, 94 don't know, 97 refused, 98 blank (no answer), 99 legitimate
skip, and 89 legitimate skip (logically assigned); three-digit versions
(985, 994, 997, 998, 999, 989) are used for items whose valid values reach 85
or more.  These become ``<NA>`` in the *items*; the design columns (weight,
stratum, PSU) and the respondent identifier are read as they are, because a
weight of 85 or 99 is a real weight.  For yes/no drug-use items, 91 (never used),
93 (used, but not in the period), 81 and 83 (the same, logically assigned) are
real answers meaning "no", and become 0.  Any other unexpected code stops the
read with an error that lists it, rather than being dropped silently.

Caching
-------
The real file is large (tens of thousands of rows, thousands of columns), so the
extract is cached in ``cache_dir`` (default: the environment variable
``COURSE_CACHE_DIR``, else ``~/.cache/course_utils/nsduh``), keyed by a
fingerprint of the file (its size, modification time and a SHA-256 of its first
and last MiB) and of the arguments.  A second call with the same file and
arguments reads the cache (well under half a second).  The cache is a NumPy
``.npz`` archive of plain numeric arrays read with ``allow_pickle=False``, plus
a JSON description of the columns (dtypes, category labels, ``attrs``): unlike
a pickle, loading it cannot run code.  A cache file that does not load cleanly
is ignored and rebuilt from the public-use file.

Terms of use
------------
SAMHSA's terms forbid any attempt to identify respondents; see
``instructors/nsduh_real_data.md`` for where to download the file and its
terms.  Never commit the file or the cache to a repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

from course_utils._validate import CourseInputError

__all__ = [
    "read_puf",
    "design_columns",
    "NsduhReadError",
    "MISSING_CODES",
    "NO_CODES",
    "ERAS",
]

#: Special codes read as missing (PUF codebook, special codes): bad data, don't know,
#: refused, blank, legitimate skip, legitimate skip (logically assigned); 2- and 3-digit forms.
MISSING_CODES: frozenset[int] = frozenset({85, 89, 94, 97, 98, 99, 985, 989, 994, 997, 998, 999})
#: Codes that mean "no" for a yes/no drug-use item: never used (91), not in the period (93),
#: and their logically assigned versions (81, 83); 3-digit forms too.
NO_CODES: frozenset[int] = frozenset({81, 83, 91, 93, 981, 983, 991, 993})

#: PUF column names for each course column, by design era.
ERAS: dict[str, dict[str, str]] = {
    "2015-2019": {"ANALWT2_C": "ANALWT_C", "VESTR_C": "VESTR", "VEREP": "VEREP",
                  "KSSLR6MON": "K6SCMON", "SPDPSTMON": "SPDMON"},
    "2020": {"ANALWT2_C": "ANALWTQ1Q4_C", "VESTR_C": "VESTRQ1Q4_C", "VEREP": "VEREP",
             "KSSLR6MON": "K6SCMON", "SPDPSTMON": "SPDMON"},
    "2021+": {"ANALWT2_C": "ANALWT2_C", "VESTR_C": "VESTR_C", "VEREP": "VEREP",
              "KSSLR6MON": "KSSLR6MON", "SPDPSTMON": "SPDPSTMON"},
}
_COMMON = {"QUESTID2": "QUESTID2", "CATAG6": "CATAG6", "IRSEX": "IRSEX", "AMDEYR": "AMDEYR"}
_ORDER = ("QUESTID2", "VESTR_C", "VEREP", "ANALWT2_C", "CATAG6", "IRSEX", "AMDEYR", "KSSLR6MON", "SPDPSTMON")
_AGE = {1: "12-17", 2: "18-25", 3: "26-34", 4: "35-49", 5: "50-64", 6: "65+"}
_SEX = {1: "male", 2: "female"}
_KRATOM_PATTERN = re.compile(r"KRAT|KRTM|KRTO|MITRA", re.IGNORECASE)
_CACHE_VERSION = 2  # 2: npz + JSON instead of pickle; design columns not masked
_FIRST_YEAR, _KRATOM_FROM = 2015, 2019


#: What a recode maps a code to: 1 (yes), 0 (no) or None (missing).
Code = Union[int, float]
RecodeMap = Mapping[Code, Union[int, float, None]]
PathLike = Union[str, "os.PathLike[str]"]


class NsduhReadError(CourseInputError):
    """The file, the year or the item names do not fit; the message says what to do."""


def _era(year: int) -> str:
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise TypeError(f"year is the survey year as a whole number (e.g. 2019), got {year!r}")
    if year < _FIRST_YEAR:
        raise NsduhReadError(
            f"year {year} is not supported: the reader knows the design variables from {_FIRST_YEAR} on. "
            "For an earlier file, pass columns={'ANALWT2_C': ..., 'VESTR_C': ..., 'VEREP': ...} from its codebook "
            f"together with year={_FIRST_YEAR}."
        )
    return "2015-2019" if year <= 2019 else "2020" if year == 2020 else "2021+"


def design_columns(year: int) -> dict[str, str]:
    """The PUF names of the columns :func:`read_puf` reads for a survey year, by course name.

    Parameters
    ----------
    year : int
        Survey year, 2015 or later.

    Returns
    -------
    dict of str to str
        ``{course name: PUF name}``, e.g. ``{"ANALWT2_C": "ANALWT_C", ...}`` for 2019.

    Raises
    ------
    NsduhReadError
        The year is before 2015.

    Examples
    --------
    >>> design_columns(2019)["ANALWT2_C"], design_columns(2020)["VESTR_C"], design_columns(2022)["ANALWT2_C"]
    ('ANALWT_C', 'VESTRQ1Q4_C', 'ANALWT2_C')
    """
    return {**_COMMON, **ERAS[_era(year)]}


# ---------------------------------------------------------------- file access
_TEXT = {".txt", ".tsv", ".tab", ".dat", ".csv", ".zip", ".gz"}


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    last = suffixes[-1] if suffixes else ""
    if last in (".dta",):
        return "stata"
    if last in (".sas7bdat", ".xpt"):
        return "sas"
    if last in (".sav", ".zsav", ".por"):
        return "spss"
    if last in (".rdata", ".rda", ".rds"):
        raise NsduhReadError(
            f"{path.name} is an R data file, which pandas cannot read. Download the tab-delimited (ASCII) "
            "version of the public-use file instead, or save it from R with write.table(..., sep = '\\t')."
        )
    if last in _TEXT:
        return "csv" if ".csv" in suffixes else "tab"
    raise NsduhReadError(
        f"cannot tell the format of {path.name}: use the tab-delimited file (.txt/.tsv, optionally zipped), "
        "a Stata .dta, a SAS .sas7bdat/.xpt or an SPSS .sav file as SAMHSA distributes them"
    )


def _header(path: Path, fmt: str) -> list[str]:
    if fmt in ("tab", "csv"):
        return list(pd.read_csv(path, sep="\t" if fmt == "tab" else ",", nrows=0).columns)
    if fmt == "stata":
        with pd.read_stata(path, iterator=True) as reader:
            return list(reader.variable_labels())  # every variable, in file order
    if fmt == "sas":
        with pd.read_sas(path, chunksize=1) as reader:
            return list(next(iter(reader)).columns)
    return list(_read_spss(path, None).columns)


def _read_spss(path: Path, usecols: list[str] | None) -> pd.DataFrame:
    try:
        return pd.read_spss(path, usecols=usecols, convert_categoricals=False)
    except ImportError as exc:
        raise NsduhReadError(
            "reading SPSS files needs the optional package pyreadstat, which the course does not install. "
            "Use the tab-delimited or Stata version of the public-use file instead."
        ) from exc


def _read(path: Path, fmt: str, usecols: list[str]) -> pd.DataFrame:
    if fmt in ("tab", "csv"):
        return pd.read_csv(path, sep="\t" if fmt == "tab" else ",", usecols=usecols, low_memory=False)
    if fmt == "stata":
        return pd.read_stata(path, columns=usecols, convert_categoricals=False)
    if fmt == "sas":
        return pd.read_sas(path)[usecols]
    return _read_spss(path, usecols)


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        if stat.st_size > 1 << 20:
            handle.seek(max(stat.st_size - (1 << 20), 1 << 20))
            digest.update(handle.read())
    return digest.hexdigest()


def _cache_dir(cache_dir: PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"])
    return Path.home() / ".cache" / "course_utils" / "nsduh"


# ---------------------------------------------------------------- recoding
def _numbers(series: pd.Series) -> pd.Series:
    """Numbers as floats (no special codes masked); text that is not a number is an error."""
    values = pd.to_numeric(series, errors="coerce")
    strays = series[values.isna() & series.notna() & (series.astype(str).str.strip() != "")]
    if len(strays):
        shown = ", ".join(repr(v) for v in pd.unique(strays)[:5])
        raise NsduhReadError(f"column {series.name!r} holds non-numeric values ({shown}); is this an NSDUH file?")
    return values.astype("float64")


def _codes(series: pd.Series) -> pd.Series:
    """Numbers as floats, special missing codes as NaN (for items, never for design columns)."""
    values = _numbers(series)
    return values.mask(values.isin(MISSING_CODES))


def _unexpected(series: pd.Series, bad: pd.Series, what: str, course: str) -> None:
    if bad.any():
        shown = ", ".join(f"{v:g}" for v in sorted(pd.unique(series[bad]))[:8])
        raise NsduhReadError(
            f"column {series.name!r} (read as {course}) holds codes that are not {what}: {shown}. Look them up in "
            f"the codebook and pass recode={{'{course}': {{code: value, ...}}}} (value 1, 0 or None for missing)."
        )


def _yes_no(raw: pd.Series, course: str, recode: RecodeMap | None, yes_no_codes: tuple[int, int]) -> pd.Series:
    values = _codes(raw)
    yes, no = yes_no_codes
    out = pd.Series(np.nan, index=raw.index)
    out[values == yes] = 1.0
    out[values == no] = 0.0
    if no != 0:  # raw questions (1 = yes, 2 = no) may use the "never used / not in period" codes
        out[values.isin(NO_CODES)] = 0.0
    if recode:
        for code, value in recode.items():
            out[values == float(code)] = np.nan if value is None else float(value)
    handled = values.isna() | out.notna() | values.isin([float(c) for c in (recode or {})])
    _unexpected(values, ~handled, f"{yes} = yes, {no} = no or a special code", course)
    return out.astype("Int64")


def _indicator(raw: pd.Series, course: str, recode: RecodeMap | None) -> pd.Series:
    """A yes/no item coded either 1/0 (recodes) or 1/2 (questions), to 1/0."""
    values = _codes(raw)
    seen = set(values.dropna().unique()) - {float(c) for c in (recode or {})}
    coding = (1, 2) if (2.0 in seen or seen & {float(c) for c in NO_CODES}) else (1, 0)
    return _yes_no(raw, course, recode, coding)


def _labelled(raw: pd.Series, labels: dict[int, str], course: str) -> pd.Series:
    values = _codes(raw)
    _unexpected(values, values.notna() & ~values.isin(list(labels)), f"one of {sorted(labels)}", course)
    mapped = values.map({float(k): v for k, v in labels.items()})
    return pd.Series(pd.Categorical(mapped, categories=list(labels.values()), ordered=course == "CATAG6"),
                     index=raw.index)


def _score(raw: pd.Series, course: str, low: int, high: int) -> pd.Series:
    values = _codes(raw)
    _unexpected(values, values.notna() & ~values.between(low, high), f"scores from {low} to {high}", course)
    return values.astype("Int64")


# ---------------------------------------------------------------- public API
def read_puf(
    path: PathLike,
    year: int,
    kratom_items: Mapping[str, str] | str | bool | None = None,
    *,
    items: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
    recode: Mapping[str, RecodeMap] | None = None,
    adults_only: bool = False,
    cache_dir: PathLike | None = None,
    use_cache: bool = True,
) -> pd.DataFrame:
    """Read an NSDUH public-use file into the course's columns (same names as the synthetic survey).

    Parameters
    ----------
    path : path-like
        The file as downloaded from SAMHSA: tab-delimited text (``.txt``/``.tsv``,
        or zipped), Stata ``.dta``, SAS ``.sas7bdat``/``.xpt`` or SPSS ``.sav``
        (SPSS needs the optional package pyreadstat).
    year : int
        Survey year (2015 or later); selects the design-variable names.
    kratom_items : mapping or str or False
        The PUF name of the past-year kratom item, as ``{"kratom_py": "NAME"}``
        or just ``"NAME"``; more entries add more kratom columns (e.g. lifetime
        use).  Required from 2019 (the kratom questions start then); pass
        ``False`` to read a file without kratom items.  Names are not guessed.
    items : mapping, optional
        Other yes/no items to include, ``{course_name: PUF name}``, e.g. past-year
        cannabis use.  Coded 1 = yes, 0 = no like the synthetic survey.
    columns : mapping, optional
        Override the PUF name of any standard column (see :func:`design_columns`),
        e.g. ``{"KSSLR6MON": "K6SCMON"}``.
    recode : mapping, optional
        Extra code meanings per course column, ``{"kratom_py": {5: 1, 85: None}}``,
        for codes the reader does not know (it stops and lists them otherwise).
    adults_only : bool, default False
        Keep only respondents aged 18+ (``AMDEYR`` is asked of adults only).
    cache_dir : path-like, optional
        Where to keep the cached extract (see the module docstring).
    use_cache : bool, default True
        Read from and write to the cache.

    Returns
    -------
    pandas.DataFrame
        The extract; ``attrs`` holds the year, era, source column names,
        ``synthetic = False`` and ``from_cache``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    NsduhReadError
        Unknown format, unsupported year, missing kratom item names (the
        message lists look-alike columns), columns absent from the file,
        unexpected codes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = ["QUESTID2\\tANALWT_C\\tVESTR\\tVEREP\\tCATAG6\\tIRSEX\\tAMDEYR\\tK6SCMON\\tSPDMON\\tKRAT_DEMO",
    ...         "1\\t1500.5\\t30001\\t1\\t2\\t1\\t2\\t3\\t0\\t2",
    ...         "2\\t900.25\\t30001\\t2\\t1\\t2\\t\\t99\\t99\\t1"]
    >>> _ = (folder / "puf.txt").write_text("\\n".join(rows) + "\\n")
    >>> df = read_puf(folder / "puf.txt", 2019, {"kratom_py": "KRAT_DEMO"}, cache_dir=folder / "cache")
    >>> print(df[["CATAG6", "AMDEYR", "KSSLR6MON", "kratom_py"]].to_string(index=False))
    CATAG6  AMDEYR  KSSLR6MON  kratom_py
     18-25       0          3          0
     12-17    <NA>       <NA>          1
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no file at {path}. Download the NSDUH public-use file from SAMHSA (see instructors/nsduh_real_data.md) "
            "and pass its path."
        )
    era = _era(year)
    mapping = design_columns(year)
    if columns:
        unknown = set(columns) - set(mapping)
        if unknown:
            raise NsduhReadError(
                f"columns= can only rename the standard columns {sorted(mapping)}; use items= for "
                f"{sorted(unknown)}"
            )
        mapping.update(columns)
    items = dict(items or {})
    try:
        kratom = _kratom_mapping(kratom_items, year)
    except _NeedKratomNames:
        raise NsduhReadError(_need_kratom_message(_header(path, _format(path)), year)) from None
    clash = (set(items) | set(kratom)) & set(mapping)
    if clash:
        raise NsduhReadError(f"items may not reuse the standard column names {sorted(clash)}")
    recodes: dict[str, RecodeMap] = {k: dict(v) for k, v in (recode or {}).items()}

    key = hashlib.sha256(
        json.dumps(
            {"v": _CACHE_VERSION, "file": _fingerprint(path), "year": int(year), "map": mapping, "kratom": kratom,
             "items": items, "recode": {k: {str(c): v for c, v in r.items()} for k, r in recodes.items()},
             "adults_only": adults_only},
            sort_keys=True,
        ).encode()
    ).hexdigest()[:32]
    folder = _cache_dir(cache_dir)
    cached = folder / f"nsduh_{int(year)}_{key}.npz"
    if use_cache and cached.is_file():
        loaded = _load_cache(cached)
        if loaded is not None:
            loaded.attrs["from_cache"] = True
            return loaded

    fmt = _format(path)
    header = _header(path, fmt)
    upper = {h.upper(): h for h in header}  # SAS/Stata exports may be lower case
    wanted = {**mapping, **kratom, **items}
    absent = {course: puf for course, puf in wanted.items() if puf.upper() not in upper}
    if absent:
        raise NsduhReadError(_absent_message(absent, kratom, header, year, era))
    usecols = [upper[puf.upper()] for puf in wanted.values()]
    raw = _read(path, fmt, list(dict.fromkeys(usecols)))
    raw.columns = [c.upper() for c in raw.columns]
    frame = _convert(raw, mapping, kratom, items, recodes)
    if adults_only:
        frame = frame[frame["CATAG6"] != "12-17"].reset_index(drop=True)
        frame["CATAG6"] = frame["CATAG6"].cat.remove_unused_categories()
    frame.attrs.update({
        "name": f"nsduh_{year}",
        "title": f"NSDUH {year} public-use file (real data, SAMHSA) — course extract",
        "synthetic": False,
        "year": int(year),
        "era": era,
        "source_columns": {k: v.upper() for k, v in wanted.items()},
        "design": {"weight": "ANALWT2_C", "strata": "VESTR_C", "psu": "VEREP"},
        "from_cache": False,
    })
    if use_cache:
        _save_cache(frame, cached)
    return frame


# ---------------------------------------------------------------- cache (no pickle)
def _save_cache(frame: pd.DataFrame, target: Path) -> None:
    """Write ``frame`` as plain arrays (npz) plus a JSON column description; atomic."""
    arrays: dict[str, np.ndarray] = {}
    columns: list[dict[str, object]] = []
    for i, name in enumerate(frame.columns):
        series = frame[name]
        entry: dict[str, object] = {"name": str(name), "key": f"c{i}"}
        if isinstance(series.dtype, pd.CategoricalDtype):
            entry.update(kind="category", categories=[str(c) for c in series.cat.categories],
                         ordered=bool(series.cat.ordered))
            arrays[f"c{i}"] = series.cat.codes.to_numpy(dtype=np.int16)
        elif isinstance(series.dtype, pd.Int64Dtype):
            entry["kind"] = "Int64"
            arrays[f"c{i}"] = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            entry["kind"] = "float64"
            arrays[f"c{i}"] = series.to_numpy(dtype="float64", na_value=np.nan)
        columns.append(entry)
    meta = {"version": _CACHE_VERSION, "columns": columns, "attrs": frame.attrs}
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub wants a bool for allow_pickle here
    os.replace(handle.name, target)


def _load_cache(path: Path) -> pd.DataFrame | None:
    """Read a cache written by :func:`_save_cache`; ``None`` if it is unreadable or of another version."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
            if meta.get("version") != _CACHE_VERSION:
                return None
            out = pd.DataFrame(index=pd.RangeIndex(len(archive[meta["columns"][0]["key"]])))
            for entry in meta["columns"]:
                values = archive[entry["key"]]
                if entry["kind"] == "category":
                    out[entry["name"]] = pd.Categorical.from_codes(values.astype(int), categories=entry["categories"],
                                                                   ordered=entry["ordered"])
                elif entry["kind"] == "Int64":
                    out[entry["name"]] = pd.array(np.where(np.isnan(values), None, values), dtype="Int64")
                else:
                    out[entry["name"]] = values.astype("float64")
    except (OSError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    out.attrs.update(meta["attrs"])
    return out


def _kratom_mapping(kratom_items: Mapping[str, str] | str | bool | None, year: int) -> dict[str, str]:
    if kratom_items is False:
        return {}
    if kratom_items is None or kratom_items is True:
        if year < _KRATOM_FROM:
            return {}
        raise _NeedKratomNames()
    if isinstance(kratom_items, str):
        return {"kratom_py": kratom_items}
    if isinstance(kratom_items, Mapping):
        if year < _KRATOM_FROM:
            raise NsduhReadError(f"NSDUH asked about kratom from {_KRATOM_FROM}; a {year} file has no kratom items")
        return {str(k): str(v) for k, v in kratom_items.items()}
    raise TypeError(f"kratom_items is a mapping like {{'kratom_py': 'NAME'}}, a name, or False; got {kratom_items!r}")


class _NeedKratomNames(Exception):
    """Internal: kratom item names are needed; raised before the header is read."""


def _need_kratom_message(header: list[str], year: int) -> str:
    return (
        "name the kratom item(s) of this file: kratom_items={'kratom_py': '<PUF name of the past-year kratom "
        "item>'}. The course does not guess them because they were not verified from a codebook; look them "
        f"up in the {year} codebook (or pass kratom_items=False to read without kratom)." + _lookalike_hint(header)
    )


def _lookalike_hint(header: list[str] | None) -> str:
    return "" if header is None else (
        " Columns whose names look like kratom items: "
        + (", ".join(h for h in header if _KRATOM_PATTERN.search(h)) or "none found")
        + "."
    )


def _absent_message(absent: dict[str, str], kratom: dict[str, str], header: list[str], year: int, era: str) -> str:
    lines = [f"these columns are not in the {year} file (design era {era}):"]
    for course, puf in absent.items():
        close = [h for h in header if h.upper().startswith(puf.upper()[:4])][:6]
        lines.append(f"  {puf} (for {course})" + (f" — similar names: {', '.join(close)}" if close else ""))
    if set(absent) & set(kratom):
        lines.append(_lookalike_hint(header).strip())
    lines.append(
        "Check the names in the codebook of your year; override standard columns with columns={...} and items "
        "with kratom_items={...} / items={...}."
    )
    return "\n".join(lines)


def _convert(raw: pd.DataFrame, mapping: dict[str, str], kratom: dict[str, str], items: dict[str, str],
             recode: dict[str, RecodeMap]) -> pd.DataFrame:
    col = {course: raw[puf.upper()].rename(puf.upper()) for course, puf in {**mapping, **kratom, **items}.items()}
    out = pd.DataFrame(index=raw.index)
    out["QUESTID2"] = pd.to_numeric(col["QUESTID2"], errors="raise").astype("Int64")
    for course in ("VESTR_C", "VEREP"):  # design codes are read as they are: no special codes here
        design_codes = _numbers(col[course])
        if design_codes.isna().any():
            raise NsduhReadError(
                f"the design column {mapping[course]} ({course}) has {int(design_codes.isna().sum())} blank value(s); "
                "every respondent has a stratum and PSU in a public-use file: is this the right column?"
            )
        out[course] = design_codes.astype("Int64")
    weight = _numbers(col["ANALWT2_C"])  # a weight of 85 or 99 is a weight, not a special code
    if weight.isna().any() or (weight < 0).any():
        bad = weight.isna() | (weight < 0)
        raise NsduhReadError(
            f"the weight column {mapping['ANALWT2_C']} has {int(bad.sum())} blank or negative value(s); is this the "
            "right column for this year? (see design_columns(year))"
        )
    out["ANALWT2_C"] = weight
    out["CATAG6"] = _labelled(col["CATAG6"], _AGE, "CATAG6")
    out["IRSEX"] = _labelled(col["IRSEX"], _SEX, "IRSEX")
    out["AMDEYR"] = _yes_no(col["AMDEYR"], "AMDEYR", recode.get("AMDEYR"), (1, 2))
    out["KSSLR6MON"] = _score(col["KSSLR6MON"], "KSSLR6MON", 0, 24)
    out["SPDPSTMON"] = _indicator(col["SPDPSTMON"], "SPDPSTMON", recode.get("SPDPSTMON"))
    for course in (*kratom, *items):
        out[course] = _indicator(col[course], course, recode.get(course))
    return out[[*_ORDER, *kratom, *items]]
