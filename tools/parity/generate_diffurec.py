#!/usr/bin/python3
"""Parity fixtures for DiffuRec (Li et al., ACM TOIS) from the authors' own code.

Run by a developer, never by CI, with Debian's python3-torch 1.13 (apt) and a checkout of the official repository:

    git --git-dir=<WHUIR/DiffuRec mirror> archive f6f70c9 src | tar -x -C /tmp/official-diffurec
    /usr/bin/python3 tools/parity/generate_diffurec.py --official /tmp/official-diffurec/src --out tests/fixtures/parity/diffurec.pt

It imports the official `src/diffurec.py` and `src/model.py` from --official (nothing of them is copied here), builds a
tiny DiffuRec (Att_Diffuse_model around DiffuRec, as main.py does) and saves, in one flat dict of contiguous tensors, the
official weights under their official names, the inputs, every random draw the official code makes and its outputs.
- Dropout: the embedding dropout's mask is fixed (the module is replaced by a multiplication with a recorded inverted-
  dropout mask); the representation dropout (`--dropout`, inside the Transformer and before the last LayerNorm) is 0,
  because its draws inside the blocks cannot be replayed in our fused attention without changing it.
- λ ~ N(δ, δ) (`th.normal` in Diffu_xstart.forward), the q_sample noise and the reverse chain's noise (`th.randn_like`)
  and the step sampler's t are recorded in the order the official code draws them.
- Training step: trainer.py's `model_joint(seq, tag, train_flag=True)` then `loss_diffu_ce`, and one Adam step
  (trainer.py `optimizers`: Adam(lr, weight_decay)). Inference: `model_joint(seq, tag, train_flag=False)` (the full
  `reverse_p_sample` chain from noise) and `diffu_rep_pre`, as trainer.py's evaluation does.
"""
import argparse, os, sys, types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_io import save  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--official", required=True, help="the official src/ folder (holds diffurec.py, model.py)")
p.add_argument("--out", required=True)
args = p.parse_args()
sys.path.insert(0, os.path.abspath(args.official))
np.int = int    # step_sample.py uses np.int, an alias of int that NumPy 1.24 (Debian 12) removed; same behaviour
from diffurec import DiffuRec  # noqa: E402  (official)
from model import Att_Diffuse_model  # noqa: E402  (official)

torch.manual_seed(20233)
np.random.seed(20233)
torch.set_num_threads(1)
items, max_len, batch = 20, 6, 5
config = types.SimpleNamespace(hidden_size=8, dropout=0.0, emb_dropout=0.3, num_blocks=2, schedule_sampler_name="lossaware",
    diffusion_steps=4, lambda_uncertainty=0.5, noise_schedule="trunc_lin", rescale_timesteps=True, item_num=items, max_len=max_len)
model = Att_Diffuse_model(DiffuRec(config), config)       # main.py: create_model_diffu(args), Att_Diffuse_model(diffu_rec, args)

out = {}
for k, v in model.state_dict().items(): out["w." + k] = v.detach().clone()

# Left-padded histories (utils.py pads with 0 on the left): a full one, short ones, one with a single item.
seq = torch.tensor([[3, 7, 1, 12, 5, 9], [0, 0, 4, 4, 18, 2], [0, 0, 0, 0, 0, 11], [0, 6, 20, 13, 1, 8], [0, 0, 0, 15, 3, 7]])
tag = torch.tensor([[14], [9], [2], [20], [1]])
emb_mask = (torch.rand(batch, max_len, config.hidden_size) >= config.emb_dropout).float() / (1 - config.emb_dropout)
out["seq"], out["tag"], out["emb_mask"] = seq, tag, emb_mask

class FixedMask(torch.nn.Module):           # the embedding dropout with its mask fixed (identity in eval mode, as nn.Dropout)
    def forward(self, x): return x * emb_mask if self.training else x
model.embed_dropout = FixedMask()

draws = []                                   # (kind, tensor) in the order the official code draws them
real_randn_like, real_normal = torch.randn_like, torch.normal
def randn_like(x, *a, **k):
    n = real_randn_like(x, *a, **k); draws.append(("noise", n.clone())); return n
def normal(*a, **k):
    n = real_normal(*a, **k); draws.append(("lambda", n.clone())); return n
torch.randn_like, torch.normal = randn_like, normal   # diffurec.py and model.py call th.randn_like / th.normal (the same module)
history = {}
model.LayerNorm.register_forward_hook(lambda m, i, o: history.__setitem__("rep", o.detach().clone()))

model.train()
_, rep_diffu, weights, t, _, _ = model(seq, tag, train_flag=True)
loss = model.loss_diffu_ce(rep_diffu, tag)
assert [k for k, _ in draws] == ["noise", "lambda"]
out["train.history"] = history["rep"]
out["train.noise"], out["train.lambda"] = draws[0][1], draws[1][1]
out["train.t"], out["train.weights"] = t.clone(), weights.clone()
out["train.x0"] = rep_diffu.detach().clone()
out["train.loss"] = loss.detach().reshape(1)

opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0)
opt.zero_grad(); loss.backward()
for k, v in model.named_parameters():
    if v.grad is not None: out["grad." + k] = v.grad.detach().clone()
opt.step()
for k, v in model.state_dict().items(): out["adam." + k] = v.detach().clone()

# Inference with the initial weights: the full reverse chain from noise, then scores against every item.
model.load_state_dict({k[2:]: v for k, v in out.items() if k.startswith("w.")})
model.eval()
draws.clear()
with torch.no_grad():
    _, rep, _, _, _, _ = model(seq, tag, train_flag=False)
    scores = model.diffu_rep_pre(rep)
kinds = [k for k, _ in draws]
assert kinds == ["noise"] + ["lambda", "noise"] * config.diffusion_steps, kinds
out["chain.start"] = draws[0][1]
out["chain.lambda"] = torch.stack([d for k, d in draws[1:] if k == "lambda"])     # [T, B, L, H], step T-1 first
out["chain.noise"] = torch.stack([d for k, d in draws[1:] if k == "noise"])       # [T, B, H], step T-1 first (t = 0's unused)
out["chain.x0"], out["chain.scores"] = rep.clone(), scores.clone()
torch.randn_like, torch.normal = real_randn_like, real_normal

save(out, args.out)
