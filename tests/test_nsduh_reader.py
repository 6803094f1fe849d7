"""course_utils.nsduh.read_puf on small files written in the layout of the NSDUH public-use file.

No NSDUH data are used: the fixtures are made-up rows (or the SYNTHETIC survey)
written with the PUF's column names and codes for each design era.  The kratom
item names in the fixtures (KRATOM_FIXTURE_*) are invented on purpose: the real
names were not verified, which is why the reader takes them as arguments.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course_utils import nsduh
from course_utils.nsduh import NsduhReadError, design_columns, read_puf
from course_utils.simulate import nsduh_like
from course_utils.survey import SurveyDesign

ERA_NAMES = {
    2019: {"weight": "ANALWT_C", "strata": "VESTR", "k6": "K6SCMON", "spd": "SPDMON"},
    2020: {"weight": "ANALWTQ1Q4_C", "strata": "VESTRQ1Q4_C", "k6": "K6SCMON", "spd": "SPDMON"},
    2022: {"weight": "ANALWT2_C", "strata": "VESTR_C", "k6": "KSSLR6MON", "spd": "SPDPSTMON"},
}
KRATOM = {"kratom_py": "KRATOM_FIXTURE_PY"}


def puf_rows(year: int) -> pd.DataFrame:
    """Eight hand-made respondents in the PUF layout of ``year`` (with filler columns around them)."""
    names = ERA_NAMES[year]
    return pd.DataFrame(
        {
            "QUESTID2": [101, 102, 103, 104, 105, 106, 107, 108],
            "FILEDATE": ["10/01/2020"] * 8,  # filler, as in the real file
            names["weight"]: [1500.5, 2200.0, 900.25, 3100.0, 1200.0, 800.0, 2500.0, 1750.0],
            names["strata"]: [30001, 30001, 30001, 30001, 30002, 30002, 30002, 30002],
            "VEREP": [1, 1, 2, 2, 1, 1, 2, 2],
            "CATAG6": [1, 2, 3, 4, 5, 6, 2, 3],
            "IRSEX": [1, 2, 2, 1, 2, 1, 2, 1],
            "AMDEYR": [np.nan, 1, 2, 2, 94, 2, 1, 97],  # youth blank; 94 don't know; 97 refused
            names["k6"]: [99, 14, 3, 0, 85, 24, 13, 98],  # 99 legit skip, 85 bad data, 98 blank
            names["spd"]: [99, 1, 0, 0, 85, 1, 1, 98],
            "KRATOM_FIXTURE_PY": [2, 1, 91, 93, 2, 97, 1, 2],  # 91 never used, 93 not in past year
            "KRATOM_FIXTURE_EVER": [2, 1, 91, 1, 2, 97, 1, 2],
            "MRJ_FIXTURE_PY": [0, 1, 0, 0, 1, 0, 1, 0],  # a 0/1 recode
            "IRALCFY": [0, 12, 300, 0, 991, 52, 5, 0],  # filler with 3-digit codes
        }
    )


EXPECTED = pd.DataFrame(
    {
        "QUESTID2": pd.array([101, 102, 103, 104, 105, 106, 107, 108], dtype="Int64"),
        "VESTR_C": pd.array([30001] * 4 + [30002] * 4, dtype="Int64"),
        "VEREP": pd.array([1, 1, 2, 2, 1, 1, 2, 2], dtype="Int64"),
        "ANALWT2_C": [1500.5, 2200.0, 900.25, 3100.0, 1200.0, 800.0, 2500.0, 1750.0],
        "CATAG6": pd.Categorical(["12-17", "18-25", "26-34", "35-49", "50-64", "65+", "18-25", "26-34"],
                                 categories=["12-17", "18-25", "26-34", "35-49", "50-64", "65+"], ordered=True),
        "IRSEX": pd.Categorical(["male", "female", "female", "male", "female", "male", "female", "male"],
                                categories=["male", "female"]),
        "AMDEYR": pd.array([None, 1, 0, 0, None, 0, 1, None], dtype="Int64"),
        "KSSLR6MON": pd.array([None, 14, 3, 0, None, 24, 13, None], dtype="Int64"),
        "SPDPSTMON": pd.array([None, 1, 0, 0, None, 1, 1, None], dtype="Int64"),
        "kratom_py": pd.array([0, 1, 0, 0, 0, None, 1, 0], dtype="Int64"),
    }
)


def write_tab(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, sep="\t", index=False, na_rep="")
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


# ---------------------------------------------------------------- the three design eras
@pytest.mark.parametrize("year", [2019, 2020, 2022])
def test_each_era_reads_renames_and_recodes(tmp_path, cache, year):
    path = write_tab(puf_rows(year), tmp_path / f"NSDUH_{year}_Tab.txt")
    df = read_puf(path, year, KRATOM, cache_dir=cache)
    pd.testing.assert_frame_equal(df, EXPECTED)
    assert df.attrs["synthetic"] is False and df.attrs["year"] == year
    assert df.attrs["source_columns"]["ANALWT2_C"] == ERA_NAMES[year]["weight"]
    assert df.attrs["source_columns"]["VESTR_C"] == ERA_NAMES[year]["strata"]


@pytest.mark.parametrize("year", [2019, 2020, 2022])
def test_round_trip_of_the_synthetic_survey_in_puf_layout(tmp_path, cache, year):
    """The SYNTHETIC survey written in the PUF layout of each era reads back as itself."""
    synth = nsduh_like(n=3_000, seed=4)
    names = ERA_NAMES[year]
    puf = pd.DataFrame(
        {
            "QUESTID2": synth["QUESTID2"],
            names["weight"]: synth["ANALWT2_C"],
            names["strata"]: synth["VESTR_C"],
            "VEREP": synth["VEREP"],
            "CATAG6": synth["CATAG6"].cat.codes + 2,
            "IRSEX": synth["IRSEX"].cat.codes + 1,
            "AMDEYR": np.where(synth["AMDEYR"] == 1, 1, 2),  # PUF: 1 = yes, 2 = no
            names["k6"]: synth["KSSLR6MON"],
            names["spd"]: synth["SPDPSTMON"],
            # PUF-style raw question: 1 = yes, 91 = never used, 93 = used but not in the past year
            "KRATOM_FIXTURE_PY": np.where(synth["kratom_py"] == 1, 1, np.where(synth["QUESTID2"] % 7 == 0, 93, 91)),
            "MRJ_FIXTURE_PY": synth["cannabis_py"],
        }
    )
    path = write_tab(puf, tmp_path / "puf.tsv")
    back = read_puf(path, year, KRATOM, items={"cannabis_py": "MRJ_FIXTURE_PY"}, adults_only=True, cache_dir=cache)
    columns = ["QUESTID2", "VESTR_C", "VEREP", "CATAG6", "IRSEX", "AMDEYR", "KSSLR6MON", "SPDPSTMON",
               "kratom_py", "cannabis_py"]
    for column in columns:
        assert back[column].astype(str).tolist() == synth[column].astype(str).tolist(), column
    assert np.allclose(back["ANALWT2_C"], synth["ANALWT2_C"])
    # the same survey analysis runs on both
    est_back = SurveyDesign(back, "ANALWT2_C", "VESTR_C", "VEREP", nest=True).proportion("kratom_py")
    est_synth = SurveyDesign(synth, "ANALWT2_C", "VESTR_C", "VEREP", nest=True).proportion("kratom_py")
    assert est_back["estimate"] == pytest.approx(est_synth["estimate"], rel=1e-12)
    assert est_back["se"] == pytest.approx(est_synth["se"], rel=1e-9)


def test_design_columns_per_era():
    assert design_columns(2015)["ANALWT2_C"] == "ANALWT_C"
    assert design_columns(2019)["VESTR_C"] == "VESTR"
    assert design_columns(2020) | {} == {**design_columns(2020)}
    assert design_columns(2020)["ANALWT2_C"] == "ANALWTQ1Q4_C"
    assert design_columns(2023)["VESTR_C"] == "VESTR_C"
    assert all(design_columns(y)["VEREP"] == "VEREP" for y in (2016, 2020, 2023))


# ---------------------------------------------------------------- cache
@pytest.mark.timing
def test_second_load_is_served_from_cache(tmp_path, cache, monkeypatch):
    big = pd.concat([puf_rows(2022)] * 2_000, ignore_index=True)  # 16,000 rows
    big["QUESTID2"] = np.arange(len(big))
    path = write_tab(big, tmp_path / "puf.txt")
    first = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert first.attrs["from_cache"] is False
    assert len(list(cache.glob("*.npz"))) == 1

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read again instead of the cache")

    monkeypatch.setattr(nsduh.pd, "read_csv", no_reading)
    start = time.perf_counter()
    second = read_puf(path, 2022, KRATOM, cache_dir=cache)
    elapsed = time.perf_counter() - start
    assert second.attrs["from_cache"] is True
    assert elapsed < 0.5
    pd.testing.assert_frame_equal(first, second)


def test_cache_key_follows_arguments_and_file(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    read_puf(path, 2022, KRATOM, cache_dir=cache)
    read_puf(path, 2022, {"kratom_py": "KRATOM_FIXTURE_PY", "kratom_ever": "KRATOM_FIXTURE_EVER"}, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2
    changed = puf_rows(2022)
    changed.loc[1, "AMDEYR"] = 2
    write_tab(changed, path)
    again = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert again.attrs["from_cache"] is False and again.loc[1, "AMDEYR"] == 0
    fresh = read_puf(path, 2022, KRATOM, cache_dir=cache, use_cache=False)
    assert fresh.attrs["from_cache"] is False


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "envcache"))
    path = write_tab(puf_rows(2019), tmp_path / "puf.txt")
    read_puf(path, 2019, KRATOM)
    assert len(list((tmp_path / "envcache").glob("nsduh_2019_*.npz"))) == 1


# ---------------------------------------------------------------- kratom item names
def test_missing_kratom_names_lists_lookalikes(tmp_path, cache):
    path = write_tab(puf_rows(2019), tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match=r"name the kratom item\(s\) of this file") as info:
        read_puf(path, 2019, cache_dir=cache)
    assert "look like kratom items: KRATOM_FIXTURE_PY, KRATOM_FIXTURE_EVER." in str(info.value)


def test_absent_kratom_name_lists_lookalikes(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match=r"KRTMYR \(for kratom_py\)") as info:
        read_puf(path, 2022, {"kratom_py": "KRTMYR"}, cache_dir=cache)
    assert "look like kratom items: KRATOM_FIXTURE_PY, KRATOM_FIXTURE_EVER" in str(info.value)


def test_no_kratom_before_2019(tmp_path, cache):
    rows = puf_rows(2019).drop(columns=["KRATOM_FIXTURE_PY", "KRATOM_FIXTURE_EVER"])
    path = write_tab(rows, tmp_path / "puf2017.txt")
    df = read_puf(path, 2017, cache_dir=cache)  # no kratom items needed
    assert "kratom_py" not in df.columns and len(df) == 8
    with pytest.raises(NsduhReadError, match="NSDUH asked about kratom from 2019; a 2017 file has no kratom items"):
        read_puf(path, 2017, KRATOM, cache_dir=cache)


def test_kratom_false_reads_without_kratom(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    assert "kratom_py" not in read_puf(path, 2022, False, cache_dir=cache).columns


# ---------------------------------------------------------------- other bad input
def test_unexpected_code_is_listed_and_recode_fixes_it(tmp_path, cache):
    rows = puf_rows(2022)
    rows.loc[3, "KRATOM_FIXTURE_PY"] = 5  # e.g. "yes, logically assigned" in some items
    path = write_tab(rows, tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match=r"'KRATOM_FIXTURE_PY' \(read as kratom_py\) holds codes that are not "
                                             r"1 = yes, 2 = no or a special code: 5\. .*recode="):
        read_puf(path, 2022, KRATOM, cache_dir=cache)
    df = read_puf(path, 2022, KRATOM, recode={"kratom_py": {5: 1}}, cache_dir=cache)
    assert df.loc[3, "kratom_py"] == 1


def test_out_of_range_score(tmp_path, cache):
    rows = puf_rows(2022)
    rows.loc[2, "KSSLR6MON"] = 30
    path = write_tab(rows, tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match=r"'KSSLR6MON' \(read as KSSLR6MON\) holds codes that are not scores "
                                             r"from 0 to 24: 30"):
        read_puf(path, 2022, KRATOM, cache_dir=cache)


def test_wrong_era_names_say_which_columns(tmp_path, cache):
    path = write_tab(puf_rows(2019), tmp_path / "puf.txt")  # 2019 layout read as 2022
    with pytest.raises(NsduhReadError, match=r"not in the 2022 file \(design era 2021\+\)") as info:
        read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert "ANALWT2_C (for ANALWT2_C) — similar names: ANALWT_C" in str(info.value)


def test_columns_override(tmp_path, cache):
    rows = puf_rows(2022).rename(columns={"KSSLR6MON": "K6SCMON"})
    path = write_tab(rows, tmp_path / "puf.txt")
    df = read_puf(path, 2022, KRATOM, columns={"KSSLR6MON": "K6SCMON"}, cache_dir=cache)
    assert df["KSSLR6MON"].tolist()[1:4] == [14, 3, 0]
    with pytest.raises(NsduhReadError, match=r"columns= can only rename the standard columns"):
        read_puf(path, 2022, KRATOM, columns={"cannabis_py": "MRJ_FIXTURE_PY"}, cache_dir=cache)


def test_items_recode_never_used_to_no(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    df = read_puf(path, 2022, KRATOM, items={"cannabis_py": "MRJ_FIXTURE_PY"}, cache_dir=cache)
    assert df["cannabis_py"].tolist() == [0, 1, 0, 0, 1, 0, 1, 0]


def test_adults_only(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    df = read_puf(path, 2022, KRATOM, adults_only=True, cache_dir=cache)
    assert len(df) == 7 and "12-17" not in df["CATAG6"].cat.categories


def test_bad_year_path_and_format(tmp_path, cache):
    path = write_tab(puf_rows(2019), tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match="year 2012 is not supported"):
        read_puf(path, 2012, False, cache_dir=cache)
    with pytest.raises(TypeError, match="year is the survey year as a whole number"):
        read_puf(path, "2019", KRATOM, cache_dir=cache)
    with pytest.raises(FileNotFoundError, match="no file at .*Download the NSDUH public-use file"):
        read_puf(tmp_path / "missing.txt", 2019, KRATOM, cache_dir=cache)
    rdata = tmp_path / "NSDUH_2019.RData"
    rdata.write_bytes(b"RDX3")
    with pytest.raises(NsduhReadError, match="is an R data file, which pandas cannot read"):
        read_puf(rdata, 2019, KRATOM, cache_dir=cache)
    odd = tmp_path / "puf.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(NsduhReadError, match="cannot tell the format of puf.xlsx"):
        read_puf(odd, 2019, KRATOM, cache_dir=cache)


def test_negative_weight_is_refused(tmp_path, cache):
    rows = puf_rows(2022)
    rows.loc[0, "ANALWT2_C"] = -5
    path = write_tab(rows, tmp_path / "puf.txt")
    with pytest.raises(NsduhReadError, match=r"the weight column ANALWT2_C has 1 blank or negative value\(s\)"):
        read_puf(path, 2022, KRATOM, cache_dir=cache)


# ---------------------------------------------------------------- issue 14: design columns are not masked
@pytest.mark.parametrize("year", [2019, 2022])
def test_weights_equal_to_special_codes_are_weights(tmp_path, cache, year):
    """A weight of 85, 94, 97, 98 or 99 (or 985...) is a real weight: the old reader made it missing and stopped."""
    rows = puf_rows(year)
    weight = ERA_NAMES[year]["weight"]
    rows[weight] = [85.0, 99.0, 94.0, 97.0, 98.0, 89.0, 985.0, 999.0]
    path = write_tab(rows, tmp_path / "puf.txt")
    df = read_puf(path, year, KRATOM, cache_dir=cache)
    assert df["ANALWT2_C"].tolist() == [85.0, 99.0, 94.0, 97.0, 98.0, 89.0, 985.0, 999.0]
    # the items of the same rows still read their special codes as missing
    assert df["KSSLR6MON"].isna().tolist() == EXPECTED["KSSLR6MON"].isna().tolist()


def test_stratum_and_psu_codes_are_not_masked(tmp_path, cache):
    rows = puf_rows(2022)
    rows["VESTR_C"] = [85, 85, 85, 85, 99, 99, 99, 99]  # stratum codes that look like special codes
    path = write_tab(rows, tmp_path / "puf.txt")
    df = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert df["VESTR_C"].tolist() == [85, 85, 85, 85, 99, 99, 99, 99]
    rows.loc[3, "VEREP"] = np.nan
    with pytest.raises(NsduhReadError, match=r"the design column VEREP \(VEREP\) has 1 blank value"):
        read_puf(write_tab(rows, tmp_path / "puf2.txt"), 2022, KRATOM, cache_dir=cache)


# ---------------------------------------------------------------- issue 14: the cache cannot run code
def test_cache_is_plain_arrays_not_pickle(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    first = read_puf(path, 2022, KRATOM, cache_dir=cache)
    (cached,) = cache.glob("*.npz")
    with np.load(cached, allow_pickle=False) as archive:  # would raise if any member needed pickle
        assert all(archive[k].dtype != object for k in archive.files)
    second = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert second.attrs["from_cache"] is True
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs["source_columns"] == first.attrs["source_columns"]
    assert not list(cache.glob("*.pkl"))


def test_a_planted_pickle_is_never_loaded(tmp_path, cache):
    """A pickle put where the cache is (e.g. by someone else) must not run: it is ignored and rebuilt."""
    import pickle

    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    read_puf(path, 2022, KRATOM, cache_dir=cache)
    (cached,) = cache.glob("*.npz")
    marker = tmp_path / "code_ran"

    class Exploit:
        def __reduce__(self):
            return (marker.write_text, ("pwned",))

    cached.write_bytes(pickle.dumps(Exploit()))
    again = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert not marker.exists()
    assert again.attrs["from_cache"] is False  # rebuilt from the file
    pd.testing.assert_frame_equal(again, EXPECTED)
    assert read_puf(path, 2022, KRATOM, cache_dir=cache).attrs["from_cache"] is True


def test_corrupted_cache_is_rebuilt(tmp_path, cache):
    path = write_tab(puf_rows(2022), tmp_path / "puf.txt")
    read_puf(path, 2022, KRATOM, cache_dir=cache)
    (cached,) = cache.glob("*.npz")
    cached.write_bytes(cached.read_bytes()[:100])
    again = read_puf(path, 2022, KRATOM, cache_dir=cache)
    assert again.attrs["from_cache"] is False
    pd.testing.assert_frame_equal(again, EXPECTED)


# ---------------------------------------------------------------- other formats
def test_stata_file_with_lower_case_names(tmp_path, cache):
    rows = puf_rows(2020).drop(columns=["FILEDATE"])
    rows.columns = [c.lower() for c in rows.columns]
    path = tmp_path / "NSDUH_2020.dta"
    rows.to_stata(path, write_index=False)
    df = read_puf(path, 2020, KRATOM, cache_dir=cache)
    pd.testing.assert_frame_equal(df, EXPECTED)


def test_zipped_tab_file(tmp_path, cache):
    path = tmp_path / "NSDUH_2022_Tab.zip"
    puf_rows(2022).to_csv(path, sep="\t", index=False, compression={"method": "zip", "archive_name": "NSDUH.txt"})
    pd.testing.assert_frame_equal(read_puf(path, 2022, KRATOM, cache_dir=cache), EXPECTED)
