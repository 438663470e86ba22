#!/usr/bin/python3
"""Parity fixture for T-DiffRec's time weights (Wang et al. 2023, §3.5) from the authors' own loader.

    git --git-dir=<YiyanXu/DiffRec mirror> archive d35a6c6 T-DiffRec | tar -x -C /tmp/official
    /usr/bin/python3 tools/parity/generate_tdiffrec.py --official /tmp/official/T-DiffRec --out tests/fixtures/parity/tdiffrec.pt

T-DiffRec's model and diffusion are DiffRec's (the files are identical at d35a6c6); what differs is the input: the
official data_load gives each user's training interactions the weights np.linspace(w_min, w_max, n) in file (time)
order. This script writes small train/valid/test .npy files, calls the official data_load on them, and saves the
(user, item) pairs with the weighted matrix it returns (dense). One user has a single interaction: np.linspace gives
it w_min.
"""
import argparse, os, sys, tempfile

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--official", required=True, help="the official T-DiffRec/ folder (holds data_utils.py)")
p.add_argument("--out", required=True)
args = p.parse_args()
sys.path.insert(0, os.path.abspath(args.official))
import data_utils  # noqa: E402  (official)

rng = np.random.default_rng(7)
users, items, w_min, w_max = 5, 12, 0.1, 1.0
train = []
for u, n in enumerate([6, 1, 4, 9, 3]):           # user 1 has one interaction
    for i in rng.choice(items, size=n, replace=False):
        train.append([u, int(i)])
train = np.array(train, dtype=np.int64)
valid = np.array([[u, (u * 5 + 1) % items] for u in range(users)], dtype=np.int64)
test = np.array([[u, items - 1] for u in range(users)], dtype=np.int64)
with tempfile.TemporaryDirectory() as d:
    paths = []
    for name, arr in [("train", train), ("valid", valid), ("test", test)]:
        paths.append(os.path.join(d, name + ".npy")); np.save(paths[-1], arr)
    weighted, _, _, _, n_user, n_item = data_utils.data_load(*paths, w_min, w_max)

out = {
    "pairs": torch.from_numpy(train).contiguous(),
    "shape": torch.tensor([n_user, n_item]),
    "w_min": torch.tensor([w_min]),
    "weighted": torch.from_numpy(weighted.toarray()).float().contiguous(),
}
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
tmp = args.out + ".tmp"
torch.save(out, tmp)
os.replace(tmp, args.out)
print(f"wrote {args.out}: {len(out)} tensors, torch {torch.__version__}")
