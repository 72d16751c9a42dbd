"""Sound-collection importers (simulator/assets/importers): small fake collections in each
supported layout, with the quirks of the real metadata (quoted CSV fields with commas,
multi-label rows, comment lines, segment times, a BOM), indexed through the bundled category map."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.assets.importers.category_map import CategoryMap, CategoryMapError, norm_label
from simulator.assets.importers.sound_formats import MetadataError, ReadOptions
from simulator.assets.importers.sound_index import build_index
from simulator.assets.report import main as assets_main


def wav(path: Path, seconds: float = 0.2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(int(16000 * seconds), np.float32), 16000)


def esc50(tmp: Path) -> Path:
    (tmp / "meta").mkdir(parents=True)
    rows = [("1-100032-A-0.wav", 1, 0, "dog"), ("1-100038-A-14.wav", 1, 14, "chirping_birds"),
            ("1-115545-A-48.wav", 1, 48, "fireworks"), ("2-109505-A-21.wav", 2, 21, "sneezing"),
            ("3-1-A-44.wav", 3, 44, "car_horn"), ("4-2-A-0.wav", 4, 0, "dog")]
    text = "\ufefffilename,fold,target,category,esc10,src_file,take\n" + "".join(
        f"{f},{fold},{t},{c},False,100032,A\n" for f, fold, t, c in rows)
    (tmp / "meta" / "esc50.csv").write_text(text, encoding="utf-8")
    for f, *_ in rows[:-1]:            # the last one is missing on disk
        wav(tmp / "audio" / f)
    return tmp / "meta" / "esc50.csv"


def test_esc50_clips_per_category_with_the_collection_licence_and_reports(tmp_path):
    index = build_index("esc50", esc50(tmp_path))
    cats = index["categories"]
    assert [c["file"] for c in cats["dog"]] == ["1-100032-A-0.wav"]
    assert [c["file"] for c in cats["bird"]] == ["1-100038-A-14.wav"]
    assert [c["file"] for c in cats["car_horn"]] == ["3-1-A-44.wav"]
    assert [c["file"] for c in cats["person"]] == ["2-109505-A-21.wav"]
    assert all(c["licence"] == "CC BY-NC 3.0" and c["start_s"] == 0.0 and c["end_s"] is None
               for v in cats.values() for c in v)
    rep = index["report"]
    assert rep["rows"] == 6 and rep["clips"] == 4
    assert rep["unmapped"] == {"fireworks": 1}                      # counted, never silently dropped
    assert rep["missing"]["count"] == 1 and rep["missing"]["examples"][0]["line"] == 7
    assert Path(index["root"]) == (tmp_path / "audio").resolve()


def test_fsd50k_quoted_multi_labels_and_per_clip_licences(tmp_path):
    gt, meta = tmp_path / "FSD50K.ground_truth", tmp_path / "FSD50K.metadata"
    gt.mkdir()
    meta.mkdir()
    gt.joinpath("dev.csv").write_text(
        'fname,labels,mids,split\n'
        '64760,"Bark,Dog,Domestic_animals_and_pets,Animal","/m/05tny_,/m/0bt9lr,/m/068hy,/m/0jbk",train\n'
        '16399,"Meow,Cat,Animal","/m/07qrkrw,/m/01yrx,/m/0jbk",val\n'
        '99999,"Bark,Car,Vehicle","/m/05tny_,/m/0k4j,/m/07yv9",train\n'
        '12345,"Rain,Water","/m/06mb1,/m/0838f",train\n')
    meta.joinpath("dev_clips_info_FSD50K.json").write_text(json.dumps({
        "64760": {"license": "http://creativecommons.org/licenses/by/3.0/", "uploader": "a"},
        "16399": {"license": "http://creativecommons.org/publicdomain/zero/1.0/", "uploader": "b"}}))
    for f in ("64760", "16399", "99999", "12345"):
        wav(tmp_path / "FSD50K.dev_audio" / f"{f}.wav")
    index = build_index("fsd50k", gt / "dev.csv")
    cats = index["categories"]
    assert cats["dog"][0]["file"] == "64760.wav" and cats["dog"][0]["licence"].endswith("/by/3.0/")
    assert cats["dog"][0]["labels"] == ["Bark", "Dog", "Domestic_animals_and_pets", "Animal"]
    assert cats["cat"][0]["licence"].endswith("zero/1.0/")
    rep = index["report"]
    assert rep["ambiguous"]["count"] == 1 and rep["ambiguous"]["examples"][0]["file"] == "99999.wav"
    assert rep["unmapped"]["Animal"] == 2 and rep["unmapped"]["Rain"] == 1 and rep["unmapped"]["Water"] == 1
    assert rep["clips"] == 2


def test_vggsound_windows_and_quoted_labels(tmp_path):
    csv_path = tmp_path / "vggsound.csv"
    csv_path.write_text('---g-f_I2yQ,1,people marching,test\n'
                        '--0PQM4-hqg,30,"bird chirping, tweeting",train\n'
                        '--aaILOrkII,200,playing piano,train\n')
    for name in ("--0PQM4-hqg_000030.mp4", "--aaILOrkII_000200.mp4", "---g-f_I2yQ_000001.mp4"):
        (tmp_path / "video").mkdir(exist_ok=True)
        (tmp_path / "video" / name).write_bytes(b"not decoded at import")   # existence only
    index = build_index("vggsound", csv_path)
    assert index["categories"]["bird"][0]["file"] == "--0PQM4-hqg_000030.mp4"
    assert index["categories"]["piano"][0]["end_s"] is None
    assert index["report"]["unmapped"] == {"people marching": 1}
    whole = build_index("vggsound", csv_path, options=ReadOptions(segment="window", file_pattern="{ytid}.mp4"),
                        check_files=False)
    bird = whole["categories"]["bird"][0]
    assert (bird["file"], bird["start_s"], bird["end_s"]) == ("--0PQM4-hqg.mp4", 30.0, 40.0)


def test_audioset_comment_lines_segments_and_display_names(tmp_path):
    seg = tmp_path / "balanced_train_segments.csv"
    seg.write_text("# Segments csv created Sun Mar  5 10:54:31 2017\n"
                   "# num_ytids=3, num_segs=3, num_unique_labels=4, num_positive_labels=5\n"
                   "# YTID, start_seconds, end_seconds, positive_labels\n"
                   '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/t/dd00088"\n'
                   '--ZhevVpy1s, 50.000, 60.000, "/m/012xff"\n'
                   '--aE2O5G5WE, 0.000, 10.000, "/m/03fwl,/m/04rlf,/m/09x0r"\n')
    labels = tmp_path / "class_labels_indices.csv"
    labels.write_text('index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/t/dd00088,"Gush"\n'
                      '2,/m/012xff,"Toothbrush"\n3,/m/03fwl,"Goat"\n4,/m/04rlf,"Music"\n')
    for y in ("--PJHxphWEs", "--ZhevVpy1s", "--aE2O5G5WE"):
        wav(tmp_path / "audio" / f"{y}.wav")
    index = build_index("audioset", seg, tmp_path / "audio", options=ReadOptions(labels_file=labels))
    person = index["categories"]["person"]
    assert [(c["file"], c["start_s"], c["end_s"]) for c in person] == \
        [("--PJHxphWEs.wav", 30.0, 40.0), ("--aE2O5G5WE.wav", 0.0, 10.0)]
    assert person[0]["labels"] == ["Speech", "Gush"]
    assert index["report"]["unmapped"] == {"Gush": 1, "Goat": 1, "Music": 1, "Toothbrush": 1}
    by_mid = build_index("audioset", seg, tmp_path / "audio")        # no names: machine ids map too
    assert len(by_mid["categories"]["person"]) == 2


def test_generic_csv_with_segments_licences_and_a_user_map(tmp_path):
    (tmp_path / "clips").mkdir()
    wav(tmp_path / "clips" / "a.wav")
    wav(tmp_path / "clips" / "sub" / "b.flac")
    meta = tmp_path / "clips" / "list.csv"
    meta.write_text('file,labels,start_s,end_s,license\n'
                    'a.wav,"woof, canine",1.5,3,CC0\n'
                    './sub//b.flac,meow,,,\n'
                    '../escape.wav,woof,,,\n')
    cmap = CategoryMap.from_dict({"dog": ["Woof"], "cat": ["MEOW"]}, "user map")
    index = build_index("csv", meta, category_map=cmap, licence="CC BY 4.0")
    dog, cat = index["categories"]["dog"][0], index["categories"]["cat"][0]
    assert (dog["start_s"], dog["end_s"], dog["licence"]) == (1.5, 3.0, "CC0")
    assert (cat["file"], cat["licence"]) == ("sub/b.flac", "CC BY 4.0")
    assert index["report"]["outside"]["count"] == 1 and index["report"]["unmapped"] == {"canine": 1}


@pytest.mark.parametrize("text,needle", [
    ("file,label\na.wav,dog\nb.wav,dog,extra\n", None),               # extra fields are tolerated by csv
    ("name,label\na.wav,dog\n", "line 1: needs a 'file' column"),
    ("file,label,start_s\na.wav,dog,soon\n", "line 2: start_s 'soon'"),
    ("file,label,start_s,end_s\na.wav,dog,4,2\n", "line 2: end_s 2.0 is not after"),
])
def test_bad_metadata_names_the_file_and_line(tmp_path, text, needle):
    meta = tmp_path / "m.csv"
    meta.write_text(text)
    if needle is None:
        build_index("csv", meta, check_files=False)
        return
    with pytest.raises(MetadataError, match=needle.replace("(", r"\(")):
        build_index("csv", meta, check_files=False)


def test_category_map_rules(tmp_path):
    assert norm_label("  Car_Horn ") == norm_label("car   horn")
    with pytest.raises(CategoryMapError, match="both"):
        CategoryMap.from_dict({"dog": ["bark"], "cat": ["Bark"]})
    with pytest.raises(CategoryMapError, match="a list of labels"):
        CategoryMap.from_dict({"dog": {"x": 1}})
    bad = tmp_path / "m.yaml"
    bad.write_text("dog: [a\n")
    with pytest.raises(CategoryMapError, match="m.yaml"):
        CategoryMap.load(bad)
    bundled = CategoryMap.load()
    assert set(bundled.to_category.values()) == {
        "alarm_clock", "bird", "boat", "car", "car_horn", "cat", "cow", "dog", "drums", "elephant", "guitar",
        "horse", "keyboard", "motorbike", "person", "piano", "sheep", "siren", "telephone", "train"}


def test_cli_writes_the_index_and_refuses_bad_input_with_nothing_written(tmp_path, capsys):
    meta = esc50(tmp_path)
    out = tmp_path / "esc50.index.json"
    assert assets_main(["import", "sounds", "--format", "esc50", "--metadata", str(meta), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 clips" in printed and "fireworks" in printed and "missing: 1" in printed
    assert json.loads(out.read_text())["report"]["clips"] == 4
    before = out.read_bytes()
    assert assets_main(["import", "sounds", "--format", "esc50", "--metadata", str(meta), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before     # never overwritten
    other = tmp_path / "other.json"
    for args, needle in ((["--metadata", str(meta), "--collection", "user_sounds"], "--collection"),
                         (["--metadata", str(meta), "--collection", "my-clips"], "not a name"),
                         (["--metadata", str(tmp_path / "nope.csv")], "--metadata"),
                         (["--metadata", str(meta), "--root", str(tmp_path / "nope")], "--root"),
                         (["--metadata", str(meta), "--map", str(tmp_path / "nomap.yaml")], "nomap.yaml")):
        assert assets_main(["import", "sounds", "--format", "esc50", *args, "--out", str(other)]) == 2
        assert needle in capsys.readouterr().err and not other.exists()
