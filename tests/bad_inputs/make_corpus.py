"""The corpus of bad inputs that `tests/test_bad_inputs.py` runs through the `advae` command.

`python tests/bad_inputs/make_corpus.py` (re)writes every file of the corpus and its README.md from a fixed
seed, so the committed files are byte for byte what this script writes (a test checks that). `CASES` says,
for each case, the command line, the file or folder the one-line error must name, and what else it must say.
Each MRI case is a folder (`advae mri run --data <folder>`); volumes are 24^3, small enough to commit. Each EEG case
is a file, a folder or a BIDS dataset of SIMULATED BrainVision recordings (float32, 2-3 channels, a few seconds at
100 Hz): bad inputs need no real signal."""
from __future__ import annotations

import gzip
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nibabel as nib
import numpy as np

HERE = Path(__file__).resolve().parent
F = PurePosixPath   # a path inside the corpus (the test resolves it against the corpus folder)


@dataclass(frozen=True)
class Case:
    "One bad input: `argv` after `advae` (without --out), the path whose name the error must contain, other text it must contain."
    id: str
    what: str                                  # what is wrong (a line of the README)
    argv: tuple[str | F, ...]
    names: F | None = None                     # the offending file or folder; None for command-line settings
    expect: tuple[str, ...] = ()               # further text the error line must contain (row, column, header field, key)


def _gene(data, *more) -> tuple:
    return ("gene", "run", "--data", data, *more)


def _mri(data, *more) -> tuple:
    return ("mri", "run", "--data", data, *more, "--set", "workers=1")


def _eeg(data, *more) -> tuple:
    return ("eeg", "run", "--data", data, *more)


CASES = [
    # expression tables
    Case("gene-missing-file", "the table does not exist", _gene(F("gene/missing.tsv")), F("gene/missing.tsv"), ("not found",)),
    Case("gene-folder-not-file", "a folder where the table is expected (unreadable as a file; also run as a chmod 000 file when not root)",
         _gene(F("gene/folder.tsv")), F("gene/folder.tsv"), ("directory",)),
    Case("gene-empty", "0 bytes", _gene(F("gene/empty.tsv")), F("gene/empty.tsv"), ("empty",)),
    Case("gene-header-only", "a header line and no data rows", _gene(F("gene/header_only.tsv")), F("gene/header_only.tsv"), ("no data rows",)),
    Case("gene-blank-lines", "only blank lines", _gene(F("gene/blank_lines.tsv")), F("gene/blank_lines.tsv"), ("empty",)),
    Case("gene-binary-garbage", "binary bytes (NUL included) named .tsv", _gene(F("gene/garbage.tsv")), F("gene/garbage.tsv"), ("binary",)),
    Case("gene-truncated-gzip", "a gzipped table cut off half way", _gene(F("gene/truncated.tsv.gz")), F("gene/truncated.tsv.gz"), ("gzip",)),
    Case("gene-not-gzip", "named .gz: the gzip magic bytes, then garbage", _gene(F("gene/corrupt.tsv.gz")),
         F("gene/corrupt.tsv.gz"), ("gzip",)),
    Case("gene-no-numeric-columns", "every column is text", _gene(F("gene/no_numeric.tsv")), F("gene/no_numeric.tsv"), ("no numeric columns",)),
    Case("gene-duplicated-header", "two columns with the same name in the header", _gene(F("gene/duplicated_header.tsv")),
         F("gene/duplicated_header.tsv"), ("duplicated column", "g2")),
    Case("gene-ragged-row", "a data row with more fields than the header", _gene(F("gene/ragged_row.tsv")), F("gene/ragged_row.tsv"), ("line 5",)),
    Case("gene-text-in-numbers", "a word in a numeric column after the first 200 rows", _gene(F("gene/text_in_numbers.tsv")),
         F("gene/text_in_numbers.tsv"), ("row 232", "'g3'", "'high'")),
    Case("gene-all-nan-column", "a feature column with no values at all (imputation needs some)", _gene(F("gene/all_nan_column.tsv")),
         F("gene/all_nan_column.tsv"), ("'g4'", "no values")),
    Case("gene-inf-value", "an infinite value (missing values are imputed, infinities are not)", _gene(F("gene/inf_value.tsv")),
         F("gene/inf_value.tsv"), ("row 8", "'g2'", "infinite")),
    Case("gene-all-missing-features", "every feature is missing in most samples: the missing-value policy drops them all",
         _gene(F("gene/mostly_missing.tsv")), F("gene/mostly_missing.tsv"), ("max_missing",)),
    Case("gene-duplicated-ids", "two rows with the same sample ID", _gene(F("gene/duplicated_ids.tsv")), F("gene/duplicated_ids.tsv"),
         ("duplicated sample ID", "'s3'")),
    Case("gene-too-few-samples", "3 samples: a train/validation/test split needs at least 4 (7 for a held-out evaluation)",
         _gene(F("gene/three_samples.tsv")), F("gene/three_samples.tsv"), ("3 samples are too few", "at least 7")),
    Case("gene-pilot-six-samples", "a pilot matrix of 6 samples: its split would hold out 1 test sample, the evaluation compares "
         "at least 2; refused before training, with --no-holdout offered", _gene(F("gene/six_samples.tsv")),
         F("gene/six_samples.tsv"), ("6 samples are too few", "at least 7", "--no-holdout")),
    Case("gene-pilot-classes", "9 samples of 3 label classes: validation and test cannot hold every class",
         _gene(F("gene/pilot_classes.tsv"), "--label", "dx"), F("gene/pilot_classes.tsv"),
         ("each of the 3 label classes", "at least 14")),
    Case("gene-label-missing", "--label names a column the table does not have", _gene(F("gene/ok.tsv"), "--label", "diagnosis"),
         F("gene/ok.tsv"), ("'diagnosis'", "not found")),
    Case("gene-label-one-class", "the label column has a single class; stratification needs two",
         _gene(F("gene/one_class.tsv"), "--label", "dx"), F("gene/one_class.tsv"), ("single class",)),
    Case("gene-label-rare-class", "a label class with 2 samples cannot be split into train/validation/test",
         _gene(F("gene/rare_class.tsv"), "--label", "dx"), F("gene/rare_class.tsv"), ("'CN' (2)",)),
    Case("gene-sheet-no-match", "a sample sheet whose IDs match no sample of the table",
         _gene(F("gene/ok.tsv"), "--samples", F("gene/sheet_no_match.csv")), F("gene/sheet_no_match.csv"), ("matches",)),
    Case("gene-sheet-duplicated-ids", "a sample sheet with a sample ID twice",
         _gene(F("gene/ok.tsv"), "--samples", F("gene/sheet_duplicated.csv")), F("gene/sheet_duplicated.csv"), ("duplicated", "'s1'")),
    # settings
    Case("set-epochs-text", "epochs given as text", _gene(F("gene/ok.tsv"), "--set", "epochs=ten"), None, ("epochs", "integer")),
    Case("set-negative-lr", "a negative learning rate", _gene(F("gene/ok.tsv"), "--set", "lr=-0.1"), None, ("lr", "> 0")),
    Case("set-latent-zero", "a latent size of 0", _gene(F("gene/ok.tsv"), "--set", "latent=0"), None, ("latent", ">= 1")),
    Case("set-unknown-key", "a misspelt key; the error suggests the closest one", _gene(F("gene/ok.tsv"), "--set", "lattent=4"),
         None, ("'lattent'", "did you mean 'model.latent'")),
    Case("set-no-equals", "a setting without =value", _gene(F("gene/ok.tsv"), "--set", "epochs"), None, ("key=value",)),
    Case("set-bad-choice", "not one of the choices", _gene(F("gene/ok.tsv"), "--set", "scale=zscore"), None, ("scale", "standard")),
    Case("set-nan-number", "not a finite number", _gene(F("gene/ok.tsv"), "--set", "beta=nan"), None, ("beta", "finite")),
    Case("config-wrong-type", "a settings file giving epochs as text", _gene(F("gene/ok.tsv"), "--config", F("config/epochs_text.toml")),
         F("config/epochs_text.toml"), ("epochs", "integer")),
    Case("config-out-of-range", "a settings file with latent = 0", _gene(F("gene/ok.tsv"), "--config", F("config/latent_zero.json")),
         F("config/latent_zero.json"), ("latent", ">= 1")),
    Case("config-unknown-key", "a settings file with a misspelt key", _gene(F("gene/ok.tsv"), "--config", F("config/unknown_key.yaml")),
         F("config/unknown_key.yaml"), ("'learning_rate'", "did you mean 'train.lr'")),
    Case("config-not-parseable", "a settings file that is not valid TOML", _gene(F("gene/ok.tsv"), "--config", F("config/broken.toml")),
         F("config/broken.toml"), ("cannot parse",)),
    Case("mri-set-latent-zero", "an MRI run with a latent size of 0", _mri(F("mri/good"), "--set", "latent=0"), None, ("latent", ">= 1")),
    Case("set-diffusion-prior", "a diffusion prior for a model whose latent is not maps (MRI's spatial model only)",
         _gene(F("gene/ok.tsv"), "--set", "prior=diffusion"), None, ("prior diffusion", "spatial maps")),
    Case("mri-set-arch-unknown", "an MRI network that does not exist", _mri(F("mri/good"), "--set", "arch=unet"), None,
         ("arch", "dense", "spatial")),
    Case("mri-set-spatial-size", "a spatial MRI model whose slice size is not a multiple of 2**down",
         _mri(F("mri/good"), "--set", "arch=spatial", "--set", "down=4", "--set", "size=120"), None, ("size 120", "multiple of 16")),
    Case("mri-set-unknown-key", "an MRI run with a misspelt key (it is n_slices)", _mri(F("mri/good"), "--set", "n_slice=10"),
         None, ("did you mean 'data.n_slices'",)),
    # MRI volumes: each folder holds one bad volume (nothing else to fall back on)
    Case("mri-missing-folder", "the data folder does not exist", _mri(F("mri/missing")), F("mri/missing"), ("not found",)),
    Case("mri-file-not-folder", "a file where the data folder is expected", _mri(F("gene/ok.tsv")), F("gene/ok.tsv"), ("folder",)),
    Case("mri-empty-folder", "a folder with no volume in it", _mri(F("mri/no_volumes")), F("mri/no_volumes"), ("no volumes",)),
    Case("mri-img-without-hdr", "an Analyze .img without its .hdr", _mri(F("mri/img_without_hdr")), F("mri/img_without_hdr/scan.img"), (".hdr",)),
    Case("mri-hdr-without-img", "an Analyze .hdr without its .img", _mri(F("mri/hdr_without_img")), F("mri/hdr_without_img/scan.hdr"), (".img",)),
    Case("mri-size-mismatch", "an .img 100 bytes shorter than its .hdr describes", _mri(F("mri/size_mismatch")),
         F("mri/size_mismatch/scan.img"), ("bytes", "24x24x24")),
    Case("mri-truncated-nii-gz", "a .nii.gz cut off half way", _mri(F("mri/truncated_nii_gz")), F("mri/truncated_nii_gz/scan.nii.gz"), ("truncated",)),
    Case("mri-not-an-image", "text named .nii", _mri(F("mri/not_an_image")), F("mri/not_an_image/scan.nii"), ("header",)),
    Case("mri-2d", "a 2D image (24 x 24)", _mri(F("mri/volume_2d")), F("mri/volume_2d/scan.nii.gz"), ("not a 3D volume",)),
    Case("mri-4d", "a 4D image holding 3 volumes", _mri(F("mri/volume_4d")), F("mri/volume_4d/scan.nii.gz"), ("3 volumes",)),
    Case("mri-all-zero", "a volume whose voxels are all 0", _mri(F("mri/all_zero")), F("mri/all_zero/scan.nii.gz"), ("all-zero",)),
    Case("mri-nan", "a float volume with NaN voxels", _mri(F("mri/nan_voxels")), F("mri/nan_voxels/scan.nii.gz"), ("NaN",)),
    # MRI metadata (the images in mri/good are fine)
    Case("mri-metadata-missing", "--metadata names a file that does not exist", _mri(F("mri/good"), "--metadata", F("mri/missing.csv")),
         F("mri/missing.csv"), ("not found",)),
    Case("mri-metadata-empty", "an empty metadata file", _mri(F("mri/good"), "--metadata", F("mri/metadata_empty.csv")),
         F("mri/metadata_empty.csv"), ("empty",)),
    Case("mri-metadata-no-match", "metadata whose IDs match no image", _mri(F("mri/good"), "--metadata", F("mri/metadata_no_match.csv")),
         F("mri/metadata_no_match.csv"), ("matches",)),
    Case("mri-metadata-duplicated-ids", "metadata with an ID twice", _mri(F("mri/good"), "--metadata", F("mri/metadata_duplicated.csv")),
         F("mri/metadata_duplicated.csv"), ("duplicated", "subj1")),
    Case("mri-label-missing", "--label names a column the metadata does not have",
         _mri(F("mri/good"), "--metadata", F("mri/metadata_one_class.csv"), "--label", "Braak"), F("mri/metadata_one_class.csv"), ("'Braak'",)),
    Case("mri-label-one-class", "every subject has the same label: refused before any slicing, a conditional model needs two classes",
         _mri(F("mri/good"), "--metadata", F("mri/metadata_one_class.csv"), "--label", "CDR"), F("mri/metadata_one_class.csv"), ("single class", "'CDR'")),
    Case("mri-rare-class-subjects", "4 subjects, 2 of each class: refused before any slicing, a stratified split needs 3 of each",
         _mri(F("mri/four"), "--metadata", F("mri/metadata_two_each.csv"), "--label", "dx"), F("mri/metadata_two_each.csv"),
         ("'AD' (2), 'CN' (2)", "drop or merge")),
    Case("mri-pilot-too-few-slices", "2 volumes with 4 slices each: 2 blocks of slices cannot be split (refused before slicing)",
         _mri(F("mri/good"), "--set", "n_slices=4"), F("mri/good"), ("2 blocks of 5 adjacent slices", "--no-holdout")),
    # EEG recordings (simulated BrainVision files) and BIDS datasets
    Case("eeg-not-eeg", "a text file named .edf", _eeg(F("eeg/not_eeg.edf")), F("eeg/not_eeg.edf"), ("not an EEG recording",)),
    Case("eeg-channels-differ", "two recordings with no channel in common", _eeg(F("eeg/channels_differ")),
         F("eeg/channels_differ/a.vhdr"), ("share no EEG channel",)),
    Case("eeg-shorter-than-an-epoch", "a recording of 1.5 s; epochs are 2 s", _eeg(F("eeg/short")), F("eeg/short/rec.vhdr"),
         ("shorter than one epoch",)),
    Case("eeg-nan", "a recording with NaN values", _eeg(F("eeg/nan")), F("eeg/nan/rec.vhdr"), ("NaN", "Cz")),
    Case("eeg-flat-channel", "a recording with a flat (constant) channel", _eeg(F("eeg/flat")), F("eeg/flat/rec.vhdr"), ("flat", "Pz")),
    Case("eeg-impossible-rate", "a recording sampled at 2 Hz", _eeg(F("eeg/slow")), F("eeg/slow/rec.vhdr"), ("sampling rate",)),
    Case("eeg-label-missing", "--label Group, but participants.tsv has no Group column", _eeg(F("eeg/bids_no_label"), "--label", "Group"),
         F("eeg/bids_no_label/participants.tsv"), ("'Group'",)),
    Case("eeg-subject-missing", "a subject with a recording but no participants.tsv row", _eeg(F("eeg/bids_missing_subject"), "--label", "Group"),
         F("eeg/bids_missing_subject/participants.tsv"), ("sub-04", "'Group'")),
    Case("eeg-label-one-class", "every subject is in Group A: a conditional model needs two classes",
         _eeg(F("eeg/bids_one_class"), "--label", "Group"), F("eeg/bids_one_class/participants.tsv"), ("single class", "'Group'")),
    Case("mri-select-bad-column", "--select on a column the metadata does not have",
         _mri(F("mri/good"), "--metadata", F("mri/metadata_one_class.csv"), "--select", "MMSE > 20"), F("mri/metadata_one_class.csv"), ("'MMSE'",)),
]


# faults of the machine rather than the input: each needs processes or a file system of its own, so its test is elsewhere
FAULTS = [
    ("a second advae command on a run directory that another is writing (the holder is named); a killed holder's lock",
     "tests/test_lock.py"),
    ("a full disk (a real small tmpfs, and an injected ENOSPC) and a read-only output folder; then --resume",
     "tests/test_disk_full.py"),
    ("kill -9 while MRI volumes are being sliced, then --resume (the weights of an uninterrupted run)",
     "tests/test_mri_resume.py"),
    ("a pilot set too small for a held-out evaluation, run with --no-holdout (the outputs say nothing was evaluated)",
     "tests/test_small_data.py"),
]


# ---------------------------------------------------------------------------------------------- files
RNG = np.random.default_rng(0)


def _tsv(header: list[str], rows: list[list]) -> bytes:
    return ("\n".join("\t".join(map(str, r)) for r in [header, *rows]) + "\n").encode()


def _table(n: int, genes: int = 5, seed: int = 0, **extra) -> tuple[list[str], list[list]]:
    "A valid samples-in-rows table: `sample`, extra text columns, then genes g1.. (log2-like values, 3 decimals)."
    rng = np.random.default_rng(seed)
    header = ["sample", *extra, *(f"g{i + 1}" for i in range(genes))]
    X = rng.normal(8, 1, (n, genes)).round(3)
    rows = [[f"s{i + 1}", *(v[i] for v in extra.values()), *X[i]] for i in range(n)]
    return header, rows


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _blob(shape=(24, 24, 24), seed: int = 0) -> np.ndarray:
    "A brain-like int16 volume: a noisy ellipsoid on a zero background."
    rng = np.random.default_rng(seed)
    g = np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))
    inside = (g ** 2 / np.array([0.7, 0.8, 0.6])[:, None, None, None] ** 2).sum(0) < 1
    return np.where(inside, 500 + 300 * (g[2] > 0) + rng.normal(0, 40, shape), 0).astype(np.int16)


def _nifti(data: np.ndarray) -> bytes:
    return _gz(nib.Nifti1Image(data, np.eye(4)).to_bytes())


def _analyze_header(shape, dtype=np.int16) -> bytes:
    h = nib.AnalyzeHeader()
    h.set_data_shape(shape); h.set_data_dtype(dtype); h.set_zooms((1.0,) * len(shape))
    return h.binaryblock


def _brainvision(stem: str, x: np.ndarray, sfreq: float, channels) -> dict[str, bytes]:
    "A BrainVision recording, `x` (channels, samples) in microvolts as float32: the bytes of its three files by path."
    name = PurePosixPath(stem).name
    hdr = ["Brain Vision Data Exchange Header File Version 1.0", "", "[Common Infos]", "Codepage=UTF-8", f"DataFile={name}.eeg",
           f"MarkerFile={name}.vmrk", "DataFormat=BINARY", "DataOrientation=MULTIPLEXED", f"NumberOfChannels={len(channels)}",
           f"SamplingInterval={1e6 / sfreq:g}", "", "[Binary Infos]", "BinaryFormat=IEEE_FLOAT_32", "", "[Channel Infos]"]
    hdr += [f"Ch{i + 1}={c},,1,µV" for i, c in enumerate(channels)]
    mrk = ["Brain Vision Data Exchange Marker File, Version 1.0", "", "[Common Infos]", "Codepage=UTF-8", f"DataFile={name}.eeg",
           "", "[Marker Infos]"]
    return {f"{stem}.vhdr": ("\n".join(hdr) + "\n").encode(), f"{stem}.vmrk": ("\n".join(mrk) + "\n").encode(),
            f"{stem}.eeg": np.ascontiguousarray(np.asarray(x, np.float32).T, "<f4").tobytes()}


def _eeg_signal(channels: int = 3, seconds: float = 3.0, sfreq: float = 100.0, seed: int = 0) -> np.ndarray:
    "A SIMULATED recording (channels, samples) in microvolts: a 10 Hz rhythm in noise."
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sfreq)) / sfreq
    return np.stack([10 * np.sin(2 * np.pi * 10 * t + i) + 5 * rng.standard_normal(len(t)) for i in range(channels)]).round(2)


def _bids(root: str, groups: dict[str, str], participants: list[str] | None = None, columns=("Group", "Age")) -> dict[str, bytes]:
    "A BIDS dataset of simulated recordings (`groups`: subject -> Group); participants.tsv lists `participants` (default all)."
    out = {f"{root}/dataset_description.json": json.dumps({"Name": "advae bad-input case (simulated)", "BIDSVersion": "1.8.0"}).encode()}
    rows = [[f"sub-{s}", *([groups.get(s, "A")] if "Group" in columns else []), 70] for s in (participants or groups)]
    out[f"{root}/participants.tsv"] = _tsv(["participant_id", *columns], rows)
    for i, s in enumerate(groups):
        out |= _brainvision(f"{root}/sub-{s}/eeg/sub-{s}_task-rest_eeg", _eeg_signal(2, 3.0, seed=i), 100.0, ["Fz", "Cz"])
    return out


def files() -> dict[str, bytes | None]:
    "Every file of the corpus by relative path (None: an empty folder, kept in git by a .gitkeep)."
    out: dict[str, bytes | None] = {}
    h, rows = _table(30)
    out["gene/ok.tsv"] = _tsv(h, rows)
    out["gene/folder.tsv/.gitkeep"] = b""
    out["gene/empty.tsv"] = b""
    out["gene/header_only.tsv"] = _tsv(h, [])
    out["gene/blank_lines.tsv"] = b"\n\n  \n"
    out["gene/garbage.tsv"] = np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    big_h, big_rows = _table(400, genes=40, seed=2)
    big = _gz(_tsv(big_h, big_rows))
    out["gene/truncated.tsv.gz"] = big[:len(big) // 2]
    out["gene/corrupt.tsv.gz"] = b"\x1f\x8b" + np.random.default_rng(3).integers(0, 256, 512, dtype=np.uint8).tobytes()
    out["gene/no_numeric.tsv"] = _tsv(["sample", "dx", "sex"], [[f"s{i}", "AD" if i % 2 else "CN", "F" if i % 3 else "M"] for i in range(1, 21)])
    out["gene/duplicated_header.tsv"] = _tsv(["sample", "g1", "g2", "g3", "g2"], [r[:5] for r in rows])
    ragged = [list(r) for r in rows]
    ragged[3] = ragged[3] + [1.0]          # line 5 of the file (header is line 1)
    out["gene/ragged_row.tsv"] = _tsv(h, ragged)
    th, trows = _table(240, genes=4, seed=4)
    trows[230][3] = "high"                 # row 232 of the file, column g3
    out["gene/text_in_numbers.tsv"] = _tsv(th, trows)
    nan_rows = [r[:4] + [""] + r[5:] for r in rows]
    out["gene/all_nan_column.tsv"] = _tsv(h, nan_rows)
    inf_rows = [list(r) for r in rows]
    inf_rows[6][2] = "inf"                 # row 8 of the file, column g2
    out["gene/inf_value.tsv"] = _tsv(h, inf_rows)
    mh, mrows = _table(30, genes=5, seed=5)
    mrows = [[c if j == 0 or (i + j) % 4 == 0 else "NA" for j, c in enumerate(r)] for i, r in enumerate(mrows)]   # each gene 75% missing
    out["gene/mostly_missing.tsv"] = _tsv(mh, mrows)
    dup_rows = [list(r) for r in rows]
    dup_rows[7][0] = "s3"
    out["gene/duplicated_ids.tsv"] = _tsv(h, dup_rows)
    out["gene/three_samples.tsv"] = _tsv(h, rows[:3])
    out["gene/six_samples.tsv"] = _tsv(h, rows[:6])
    out["gene/pilot_classes.tsv"] = _tsv(*_table(9, dx=["AD", "MCI", "CN"] * 3))
    out["gene/one_class.tsv"] = _tsv(*_table(30, dx=["AD"] * 30))
    out["gene/rare_class.tsv"] = _tsv(*_table(30, dx=["AD"] * 28 + ["CN"] * 2))
    out["gene/sheet_no_match.csv"] = b"sample,dx\n" + b"".join(f"donor{i},AD\n".encode() for i in range(10))
    out["gene/sheet_duplicated.csv"] = b"sample,dx\ns1,AD\ns2,CN\ns1,CN\n"
    out["config/epochs_text.toml"] = b'epochs = "ten"\n'
    out["config/latent_zero.json"] = json.dumps({"latent": 0}).encode()
    out["config/unknown_key.yaml"] = b"learning_rate: 0.001\n"
    out["config/broken.toml"] = b"epochs = [10\n"
    out["mri/good/subj1.nii.gz"] = _nifti(_blob(seed=1))
    out["mri/good/subj2.nii.gz"] = _nifti(_blob(seed=2))
    for i in range(4): out[f"mri/four/subj{i + 1}.nii.gz"] = _nifti(_blob(seed=10 + i))
    out["mri/metadata_two_each.csv"] = b"ID,dx\nsubj1,AD\nsubj2,AD\nsubj3,CN\nsubj4,CN\n"
    out["mri/no_volumes/notes.txt"] = b"no image here\n"
    vol = _blob(seed=3)
    raw = vol.tobytes(order="F")
    out["mri/img_without_hdr/scan.img"] = raw
    out["mri/hdr_without_img/scan.hdr"] = _analyze_header(vol.shape)
    out["mri/size_mismatch/scan.hdr"] = _analyze_header(vol.shape)
    out["mri/size_mismatch/scan.img"] = raw[:-100]
    nii = _nifti(vol)
    out["mri/truncated_nii_gz/scan.nii.gz"] = nii[:len(nii) // 2]
    out["mri/not_an_image/scan.nii"] = b"this is not a NIfTI file\n" * 20
    out["mri/volume_2d/scan.nii.gz"] = _nifti(vol[:, :, 12])
    out["mri/volume_4d/scan.nii.gz"] = _nifti(np.stack([vol, vol, vol], -1))
    out["mri/all_zero/scan.nii.gz"] = _nifti(np.zeros_like(vol))
    nan = vol.astype(np.float32)
    nan[10:12, 10:12, 10:12] = np.nan
    out["mri/nan_voxels/scan.nii.gz"] = _nifti(nan)
    out["mri/metadata_empty.csv"] = b""
    out["mri/metadata_no_match.csv"] = b"ID,CDR\nOAS1_0001_MR1,0\nOAS1_0002_MR1,0.5\n"
    out["mri/metadata_duplicated.csv"] = b"ID,CDR\nsubj1,0\nsubj2,0.5\nsubj1,1\n"
    out["mri/metadata_one_class.csv"] = b"ID,CDR\nsubj1,0.5\nsubj2,0.5\n"
    # EEG
    out["eeg/not_eeg.edf"] = b"this is a note, not a recording\n" * 8
    out |= _brainvision("eeg/channels_differ/a", _eeg_signal(2), 100.0, ["Fz", "Cz"])
    out |= _brainvision("eeg/channels_differ/b", _eeg_signal(2, seed=1), 100.0, ["O1", "O2"])
    out |= _brainvision("eeg/short/rec", _eeg_signal(2, 1.5), 100.0, ["Fz", "Cz"])
    nan = _eeg_signal(3); nan[1, 40:45] = np.nan
    out |= _brainvision("eeg/nan/rec", nan, 100.0, ["Fz", "Cz", "Pz"])
    flat = _eeg_signal(3); flat[2] = 7.0
    out |= _brainvision("eeg/flat/rec", flat, 100.0, ["Fz", "Cz", "Pz"])
    out |= _brainvision("eeg/slow/rec", _eeg_signal(2, 30, 2.0), 2.0, ["Fz", "Cz"])
    out |= _bids("eeg/bids_no_label", dict.fromkeys(["01", "02", "03", "04"], "A"), columns=("Age",))
    out |= _bids("eeg/bids_missing_subject", {"01": "A", "02": "C", "03": "A", "04": "C"}, participants=["01", "02", "03"])
    out |= _bids("eeg/bids_one_class", dict.fromkeys(["01", "02", "03", "04"], "A"))
    return out


def readme() -> str:
    lines = ["# Bad inputs", "",
             "Generated by `make_corpus.py` (run it to regenerate; do not edit these files by hand). "
             "`tests/test_bad_inputs.py` runs each case through the `advae` command and expects one line on stderr "
             "naming the file and the problem, exit code 2, no traceback and no run directory.", "",
             "| case | input | what is wrong |", "|---|---|---|"]
    for c in CASES:
        lines.append(f"| {c.id} | `{c.names or ' '.join(str(a) for a in c.argv[c.argv.index('--set'):][:2])}` | {c.what} |")
    lines += ["", "Faults that are not in a file, and where they are tested:", "",
              "| fault | test |", "|---|---|"]
    lines += [f"| {what} | `{where}` |" for what, where in FAULTS]
    return "\n".join(lines) + "\n"


def write(root: Path = HERE) -> list[Path]:
    "Write the corpus under `root` (replacing its gene/, mri/, config/ and eeg/ folders); returns the files written."
    root = Path(root)
    for d in ("gene", "mri", "config", "eeg"): shutil.rmtree(root/d, ignore_errors=True)
    written = []
    for rel, data in {**files(), "README.md": readme().encode()}.items():
        p = root/rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        written.append(p)
    return written


if __name__ == "__main__":
    paths = write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(paths)} files, {sum(p.stat().st_size for p in paths) / 1024:.0f} KiB, under {paths[0].parents[1]}")
