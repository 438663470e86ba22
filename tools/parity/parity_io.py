"""Shared by the parity generators: write a fixture as one flat dict of contiguous tensors, atomically."""
import os

import torch


def save(out, path):
    """Contiguous copies of every tensor, written to path + '.tmp' and moved into place (torch.save names the zip's inner
    folder after the file, so a fixture is byte-reproducible when regenerated to the same path)."""
    out = {k: v.contiguous().clone() for k, v in out.items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, path)
    print(f"wrote {path}: {len(out)} tensors, torch {torch.__version__}")
