"""advae.mri.io and advae.mri.preprocess on a full-format OASIS-1 cohort: the real release skeleton and
headers from shared/fixtures/oasis1 (copied, never written to), with real brain volumes (nilearn's MNI152 2009
template, Debian's Colin27) written as the release's big-endian int16 Analyze data next to the real headers.
Checks the notebooks already make on the same layout (nbs/mri/00_io, 01_preprocess) are not repeated here."""
import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import torch

from advae.core.errors import AdvaeError
from advae.mri.preprocess import SliceDataset, auto_z_range, axial_slices, build_store
from advae.core.select import select_rows as select_subjects
from advae.mri.io import Subject, find_oasis, find_volumes, load_volume, match_metadata, read_metadata

from conftest import FIXTURE, GRID, XLSX, t88, to_t88   # the brains/release fixtures come from conftest

if not (FIXTURE/"disc1").is_dir():
    pytest.skip(f"the OASIS-1 format fixture is not at {FIXTURE} (set ADVAE_OASIS_FIXTURE to its folder)", allow_module_level=True)

COHORT = ["OAS1_0001_MR1", "OAS1_0003_MR1", "OAS1_0004_MR1", "OAS1_0015_MR1", "OAS1_0016_MR1", "OAS1_0021_MR1", "OAS1_0022_MR1"]


def one_line_error(fn, *contains) -> str:
    "Call `fn`; it must raise an AdvaeError (never anything else) whose message is one line holding every `contains`."
    with pytest.raises(AdvaeError) as e: fn()
    msg = str(e.value)
    assert "\n" not in msg and all(c in msg for c in contains), msg
    return msg


def test_headers_are_real_and_untouched(release):
    for hdr in FIXTURE.rglob("*_t88_*gfc.hdr"):
        copy = release/hdr.relative_to(FIXTURE)
        assert copy.read_bytes() == hdr.read_bytes() and copy.stat().st_size == 348
    assert not list(FIXTURE.rglob("*.img")), "the fixture must stay without image data"


def test_unmasked_images(release):
    subjects, records = find_oasis(release, image="gfc")
    assert [s.id for s in subjects] == ["OAS1_0003_MR1", "OAS1_0015_MR1"]
    assert all(s.path.name.endswith("_t88_gfc.img") for s in subjects)
    reasons = {r["reason"] for r in records if r["status"] == "skipped"}
    assert "no T88_111 gfc image (.hdr without .img)" in reasons


def test_real_volume_reads_as_written(release, brains):
    vol, mm = load_volume(t88(release, "OAS1_0003_MR1").with_suffix(".img"))
    assert vol.shape == GRID and vol.dtype == np.float32 and mm == (1.0, 1.0, 1.0)
    i = COHORT.index("OAS1_0003_MR1")
    ras, origin = brains[0][i % len(brains[0])]
    np.testing.assert_array_equal(vol, to_t88(ras, origin, scale=10 + i, dz=i % 3 - 1).astype(np.float32))
    np.testing.assert_array_equal(load_volume(t88(release, "OAS1_0003_MR1"), reorient=True)[0], vol)   # Analyze: LAS already


def test_real_metadata_table():
    meta = read_metadata(XLSX)
    assert list(meta.columns) == ["ID", "M/F", "Hand", "Age", "Educ", "SES", "MMSE", "CDR", "eTIV", "nWBV", "ASF", "Delay"]
    assert len(meta) == 436 and meta.index.is_unique and meta.index.str.endswith("_MR2").sum() == 20
    assert int((meta["CDR"] >= 0.5).sum()) == 100 and meta["CDR"].isna().sum() > 0
    assert all(pd.api.types.is_numeric_dtype(meta[c]) for c in ["Age", "Educ", "SES", "MMSE", "CDR", "eTIV", "nWBV", "ASF", "Delay"])
    raw = pd.read_excel(XLSX)
    assert select_subjects(meta, "CDR >= 0.5 and Age > 60").sum() == ((raw.CDR >= 0.5) & (raw.Age > 60)).sum()
    assert select_subjects(meta, "M/F == 'F'").sum() == (raw["M/F"] == "F").sum()


def test_real_metadata_as_csv_is_the_same(tmp_path):
    pd.read_excel(XLSX).to_csv(tmp_path/"oasis_cross-sectional.csv", index=False)
    pd.testing.assert_frame_equal(read_metadata(tmp_path/"oasis_cross-sectional.csv"), read_metadata(XLSX), check_dtype=False)


def test_select_cdr_keeps_exactly_the_impaired(release):
    subjects, _ = find_oasis(release)
    meta = read_metadata(XLSX)
    raw = pd.read_excel(XLSX).set_index("ID")
    expected = {s.id for s in subjects if s.id in raw.index and raw.loc[s.id, "CDR"] >= 0.5}
    assert 0 < len(expected) < len(subjects), "the cohort must hold subjects on both sides of the selection"
    kept, records = match_metadata(subjects, meta, select="CDR >= 0.5", label="CDR")
    assert {s.id for s in kept} == expected
    assert {s.label for s in kept} == {f"{raw.loc[i, 'CDR']:g}" for i in expected}
    dropped = {r["id"]: r["reason"] for r in records}
    assert {i for i, why in dropped.items() if why == "not selected by 'CDR >= 0.5'"} == {s.id for s in subjects} - expected
    assert sum(why == "metadata row matches no image" for why in dropped.values()) == 436 - len(subjects)


def test_store_of_the_cohort(release, tmp_path):
    subjects, _ = find_oasis(release)
    kept, _ = match_metadata(subjects, read_metadata(XLSX), label="CDR")
    store = build_store(kept, tmp_path/"store", z_range=(80, 99), size=128, workers=2)
    n = len(kept)
    assert store.slices.shape == (20 * n, 128, 128) and store.slices.dtype == np.float16 and isinstance(store.slices, np.memmap)
    assert store.index.groupby("subject").size().to_dict() == {s.id: 20 for s in kept}
    assert store.index.z.tolist() == list(range(80, 100)) * n and store.subjects == [s.id for s in kept]
    x = np.asarray(store.slices, np.float32)
    assert x.min() == -1 and x.max() <= 1
    brain = (x > -1).mean(axis=(1, 2))
    assert brain.min() > 0.15, "every slice at z 80..99 must show brain, not background"
    per_subject = x.reshape(n, 20, -1).mean(axis=(1, 2))
    assert np.ptp(per_subject) > 0.005, "different brains and placements must give different slices"
    info = json.loads((tmp_path/"store"/"store.json").read_text())
    assert info["n"] == 20 * n and info["size"] == 128 and info["dtype"] == "float16" and info["counts"]["subjects_skipped"] == 0
    assert info["z_ranges"] == {s.id: [80, 99] for s in kept}
    assert [d["path"] for d in info["subjects"]] == [str(s.path) for s in kept]
    assert store.index.label.tolist()[::20] == [s.label for s in kept]
    # the store holds exactly what axial_slices makes of each volume, and one process gives the same bytes as two
    np.testing.assert_array_equal(store.slices[:20], axial_slices(load_volume(kept[0].path)[0]).astype(np.float16))
    again = build_store(kept, tmp_path/"store1", z_range=(80, 99), workers=1)
    np.testing.assert_array_equal(np.asarray(again.slices), np.asarray(store.slices))
    ds = SliceDataset(store, rows=store.rows_of([kept[1].id]), labels=np.arange(20))
    x0, y0 = ds[5]
    assert x0.shape == (1, 128, 128) and x0.dtype == torch.float32 and y0.dtype == torch.int64 and int(y0) == 5
    assert torch.equal(x0[0], torch.from_numpy(np.asarray(store.slices[25], np.float32)))


def test_store_with_automatic_z(release, tmp_path):
    subjects, _ = find_oasis(release/"disc1")
    store = build_store(subjects[:2], tmp_path/"auto", z_range=None, size=64, workers=1)
    assert len(store) == 40 and store.info["z_range"] is None
    for s in subjects[:2]:
        z0, z1 = store.info["z_ranges"][s.id]
        assert (z0, z1) == auto_z_range(load_volume(s.path)[0], 20) and 70 <= z0 <= 90


def small_brain(brains) -> np.ndarray:
    ras, _ = brains[0][0]
    return ras[::2, ::2, ::2]                                             # (99, 117, 95) at 2 mm, RAS


def corrupt(kind: str, d: Path, brains) -> Path:
    "Write one kind of broken input into `d`; returns the path a user would give."
    good = small_brain(brains)
    hdr = t88(FIXTURE, "OAS1_0016_MR1")
    if kind == "img_without_hdr":
        p = d/"x_t88_masked_gfc.img"; p.write_bytes(b"\0" * 1000); return p
    if kind == "hdr_without_img":
        p = d/"x_t88_masked_gfc.hdr"; shutil.copyfile(hdr, p); return p
    if kind == "size_mismatch":                                         # the real header, 1 byte short of its 176x208x176 int16
        shutil.copyfile(hdr, d/"short.hdr"); (d/"short.img").write_bytes(b"\0\1" * (176*208*176) + b"")
        with open(d/"short.img", "r+b") as f: f.truncate(176*208*176*2 - 1)
        return d/"short.img"
    if kind == "truncated_nii_gz":
        nib.save(nib.Nifti1Image(good, np.eye(4)), d/"full.nii.gz")
        raw = (d/"full.nii.gz").read_bytes(); (d/"cut.nii.gz").write_bytes(raw[:len(raw) // 3]); (d/"full.nii.gz").unlink()
        return d/"cut.nii.gz"
    if kind == "two_d":
        nib.save(nib.Nifti1Image(good[:, :, 40], np.eye(4)), d/"slice.nii.gz"); return d/"slice.nii.gz"
    if kind == "four_d":
        nib.save(nib.Nifti1Image(np.stack([good, good], -1), np.eye(4)), d/"series.nii.gz"); return d/"series.nii.gz"
    if kind == "all_zero":                                              # real header, image of zeros
        shutil.copyfile(hdr, d/"zero.hdr")
        with open(d/"zero.img", "wb") as f: f.truncate(176*208*176*2)
        return d/"zero.img"
    if kind == "nan_voxels":
        v = good.copy(); v[50, 60, 40] = np.nan
        nib.save(nib.Nifti1Image(v, np.eye(4)), d/"nan.nii.gz"); return d/"nan.nii.gz"
    raise ValueError(kind)


CORRUPT = {"img_without_hdr": ".img without its .hdr header", "hdr_without_img": ".hdr without its .img image data",
           "size_mismatch": "image data is 12886015 bytes but the header describes 176x208x176x1 voxels of int16 = 12886016 bytes",
           "truncated_nii_gz": "truncated or corrupt", "two_d": "not a 3D volume (shape (99, 117))",
           "four_d": "4D image with 2 volumes", "all_zero": "all-zero volume", "nan_voxels": "1 of 1100385 voxels are NaN"}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_input_is_one_line_error_or_logged_skip(kind, tmp_path, brains, capsys):
    bad = corrupt(kind, tmp_path, brains)
    msg = one_line_error(lambda: load_volume(bad), CORRUPT[kind])
    assert bad.stem.split(".")[0] in msg
    good = tmp_path/"good.nii.gz"
    nib.save(nib.Nifti1Image(small_brain(brains), np.diag([2., 2, 2, 1])), good)
    store = build_store([Subject("bad", bad), Subject("good", good)], tmp_path/"store", z_range=(40, 49), size=32, workers=1)
    assert store.subjects == ["good"] and len(store) == 10
    assert store.info["skipped"][0]["id"] == "bad" and CORRUPT[kind] in store.info["skipped"][0]["reason"]
    assert f"skipped bad: {bad}: " in capsys.readouterr().err
    msg = one_line_error(lambda: build_store([Subject("bad", bad)], tmp_path/"none", workers=1), CORRUPT[kind], "none of the 1 volumes could be read")
    assert msg.startswith(f"{bad}: ")                                        # names the file
    assert capsys.readouterr().err == ""                                     # the error alone: no warning before it
    assert not (tmp_path/"none").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".none")]


def test_nifti_folder(tmp_path, brains):
    vols = tmp_path/"bids"
    for sub in ("sub-01", "sub-02", "sub-03"): (vols/sub/"anat").mkdir(parents=True)
    small = small_brain(brains)
    nib.save(nib.Nifti1Image(small, np.diag([2., 2, 2, 1])), vols/"sub-01"/"anat"/"sub-01_T1w.nii.gz")            # RAS
    nib.save(nib.Nifti1Image(small[::-1, ::-1], np.diag([-2., -2, 2, 1])), vols/"sub-02"/"anat"/"sub-02_T1w.nii")  # LPS on disk
    h = nib.AnalyzeHeader(endianness=">"); h.set_data_shape(small.shape); h.set_zooms((2, 2, 2))
    nib.save(nib.AnalyzeImage((small[::-1] * 10).astype(">i2"), None, h), vols/"sub-03"/"anat"/"sub-03_T1w.img")   # LAS Analyze
    (vols/"sub-04_T1w.hdr").write_bytes((vols/"sub-03"/"anat"/"sub-03_T1w.hdr").read_bytes())                      # lone header
    (vols/"participants.tsv").write_text("participant_id\tgroup\nsub-01_T1w\tAD\nsub-02_T1w\tCN\nsub-03_T1w\tCN\n")
    subjects, records = find_volumes(vols)
    assert [s.id for s in subjects] == ["sub-01_T1w", "sub-02_T1w", "sub-03_T1w"]
    assert [(r["id"], r["reason"]) for r in records if r["status"] == "skipped"] == [("sub-04_T1w", ".hdr without .img")]
    kept, _ = match_metadata(subjects, read_metadata(vols/"participants.tsv"), select="group == 'CN'", label="group")
    assert [s.id for s in kept] == ["sub-02_T1w", "sub-03_T1w"]
    store = build_store(subjects, tmp_path/"store", z_range=None, size=64, workers=2)
    assert len(store) == 60 and store.index.groupby("subject").size().tolist() == [20, 20, 20]
    x = np.asarray(store.slices, np.float32)
    np.testing.assert_allclose(x[20:40], x[:20], atol=2e-3)       # the same brain however it was stored on disk
    np.testing.assert_allclose(x[40:60], x[:20], atol=2e-3)
    assert (x > -1).mean() > 0.2
    empty = tmp_path/"empty"; empty.mkdir()
    one_line_error(lambda: find_volumes(empty), "no volumes found")
