#!/usr/bin/python3
"""L-DiffRec's item clusters as the released code makes them, for comparison with ours (a developer tool, never run by CI).

L-DiffRec/main.py seeds NumPy with 1 and its AutoEncoder calls kmeans_pytorch.kmeans(X=item_emb, num_clusters=n_cate,
distance='euclidean'): k distinct random items as centres (np.random.choice), Lloyd steps until the summed centre shift,
squared, is below 1e-4, and the assignment of the last step. This imports kmeans_pytorch from a checkout
(subhadarship/kmeans_pytorch; tqdm and its soft-DTW module are stubbed: neither is packaged for Debian, and neither is
used with Euclidean distance and tqdm off) and prints the cluster sizes for NumPy seeds 1..N on the released item
embeddings in our dataset folder:

    git --git-dir=<mirror of subhadarship/kmeans_pytorch> archive HEAD kmeans_pytorch | tar -x -C /tmp/kmeans
    /usr/bin/python3 tools/parity/kmeans_clusters.py --kmeans /tmp/kmeans --data ../shared/data/diffrec-ml-1m-clean --clusters 2 --seeds 5
"""
import argparse, csv, os, sys, types

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--kmeans", required=True, help="folder holding the kmeans_pytorch package")
p.add_argument("--data", required=True, help="dataset folder with item_emb.tsv")
p.add_argument("--clusters", type=int, default=2)
p.add_argument("--seeds", type=int, default=5)
p.add_argument("--write", help="also write seed 1's cluster ids here, one per line (for tools/parity/LDiffRecClusters)")
args = p.parse_args()
sys.modules["tqdm"] = types.SimpleNamespace(tqdm=None)
sys.modules["kmeans_pytorch.soft_dtw_cuda"] = types.SimpleNamespace(SoftDTW=None)
sys.path.insert(0, os.path.abspath(args.kmeans))
from kmeans_pytorch import kmeans  # noqa: E402

with open(os.path.join(args.data, "item_emb.tsv")) as f:
    rows = list(csv.reader(f, delimiter="\t"))[1:]
item_emb = torch.tensor([[float(v) for v in r] for r in rows])
torch.set_num_threads(1)
for seed in range(1, args.seeds + 1):
    np.random.seed(seed)
    ids, _ = kmeans(X=item_emb, num_clusters=args.clusters, distance="euclidean", tqdm_flag=False)
    print(f"numpy seed {seed}: cluster sizes {sorted(torch.bincount(ids, minlength=args.clusters).tolist(), reverse=True)}")
    if seed == 1 and args.write:
        with open(args.write, "w") as f: f.write("\n".join(str(int(i)) for i in ids))
