#!/usr/bin/python3
"""Parity fixtures for DiffRec (Wang et al. 2023) from the authors' own code.

Run by a developer, never by CI, with Debian's python3-torch 1.13 (apt) and a checkout of the official repository:

    git --git-dir=<YiyanXu/DiffRec mirror> archive d35a6c6 DiffRec | tar -x -C /tmp/official
    /usr/bin/python3 tools/parity/generate_diffrec.py --official /tmp/official/DiffRec --out tests/fixtures/parity/diffrec.pt

It imports the official `models/DNN.py` and `models/gaussian_diffusion.py` from --official (nothing of them is copied
here), builds a tiny DiffRec with fixed weights, inputs, timesteps and noise, and saves in one flat dict of contiguous
tensors (TorchSharp.PyBridge reads it with PyTorchUnpickler): the weights under our module's names, the inputs, every
random draw the official code makes (captured by patching the draw at call time), and the official outputs.
Dropout: the official DNN applies dropout to its input first; we fix the mask by feeding x * mask / (1 - p) with the
dropout layer in eval mode, which is the same computation with a known mask.
"""
import argparse, os, sys

import torch

p = argparse.ArgumentParser()
p.add_argument("--official", required=True, help="the official DiffRec/ folder (holds models/)")
p.add_argument("--out", required=True)
args = p.parse_args()
sys.path.insert(0, os.path.abspath(args.official))
from models.DNN import DNN  # noqa: E402  (official)
import models.gaussian_diffusion as gd  # noqa: E402  (official)

torch.manual_seed(20231)
torch.set_num_threads(1)
users, items, dims, emb, steps, drop = 6, 30, [16], 8, 5, 0.5
noise_scale, noise_min, noise_max = 0.1, 0.001, 0.02    # larger than ML-1M's preset so the noise matters in float32

# DNN(in_dims=[items] + dims, out_dims=dims[::-1] + [items]) as main.py builds it
model = DNN([items] + dims, dims[::-1] + [items], emb, time_type="cat", norm=False, dropout=drop)
diffusion = gd.GaussianDiffusion(gd.ModelMeanType.START_X, "linear-var", noise_scale, noise_min, noise_max, steps, "cpu")

out = {}
rename = {"emb_layer": "embedding", "in_layers": "inLayers", "out_layers": "outLayers"}
for k, v in model.state_dict().items():
    head, rest = k.split(".", 1)
    out["w." + rename[head] + "." + rest] = v.detach().clone().contiguous()

x0 = (torch.rand(users, items) < 0.3).float()
keep = (torch.rand(users, items) >= drop).float() / (1 - drop)   # the dropout mask, as a multiplier
xin = x0 * keep
out["x0"], out["mask"] = x0, keep
out["betas"] = diffusion.betas.float()

model.eval()  # dropout off: the mask above is the dropout
with torch.no_grad():
    t = torch.tensor([0, 1, 2, 3, 4, 2])
    out["denoiser.t"], out["denoiser.out"] = t, model(xin, t)

# Warm the importance sampler with a recorded sequence of (t, loss) updates, as training_losses does per example.
warm_t, warm_l = [], []
for s in range(steps):
    for j in range(diffusion.history_num_per_term + 2):   # two more than the history: exercises the shift
        loss = torch.tensor(0.1 * (s + 1) + 0.01 * j, dtype=torch.float64)
        warm_t.append(s); warm_l.append(loss.item())
        if diffusion.Lt_count[s] == diffusion.history_num_per_term:
            old = diffusion.Lt_history.clone()
            diffusion.Lt_history[s, :-1] = old[s, 1:]
            diffusion.Lt_history[s, -1] = loss
        else:
            diffusion.Lt_history[s, diffusion.Lt_count[s]] = loss
            diffusion.Lt_count[s] += 1
out["sampler.warm_t"] = torch.tensor(warm_t)
out["sampler.warm_loss"] = torch.tensor(warm_l, dtype=torch.float64)
Lt_sqrt = torch.sqrt(torch.mean(diffusion.Lt_history ** 2, axis=-1))
pt_all = Lt_sqrt / torch.sum(Lt_sqrt) * (1 - 0.001) + 0.001 / steps
out["sampler.p"] = pt_all

# training_losses with reweighting: capture the timesteps, p_t and the noise it draws.
captured = {}
real_sample, real_randn_like = diffusion.sample_timesteps, torch.randn_like
def sample_timesteps(batch_size, device, method="uniform", uniform_prob=0.001):
    t, pt = real_sample(batch_size, device, method, uniform_prob)
    captured["t"], captured["pt"] = t.clone(), pt.clone()
    return t, pt
def randn_like(x, *a, **k):
    n = real_randn_like(x, *a, **k)
    captured.setdefault("noise", n.clone())
    return n
diffusion.sample_timesteps = sample_timesteps
gd.th.randn_like = randn_like
model.train()
model.drop = torch.nn.Identity()  # the mask is applied to the input below
terms = diffusion.training_losses(model, xin, reweight=True)
gd.th.randn_like = real_randn_like
out["train.x"] = xin
out["train.t"], out["train.pt"], out["train.noise"] = captured["t"], captured["pt"].float(), captured["noise"]
out["train.loss"] = terms["loss"].detach()
out["sampler.history_after"] = diffusion.Lt_history.clone()

# One AdamW step on the batch loss (main.py: AdamW(lr, weight_decay), loss = training_losses(...)["loss"].mean()).
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
opt.zero_grad()
terms["loss"].mean().backward()
opt.step()
for k, v in model.state_dict().items():
    head, rest = k.split(".", 1)
    out["adam." + rename[head] + "." + rest] = v.detach().clone().contiguous()

# p_sample (inference.py / main.py evaluate): T' = 0 (no noise) and T' = 2 (q_sample noise captured); sampling_noise off.
model.eval()
with torch.no_grad():
    for k, v in model.state_dict().items():   # score with the initial weights again
        head, rest = k.split(".", 1)
        v.copy_(out["w." + rename[head] + "." + rest])
    out["psample0"] = diffusion.p_sample(model, x0, 0, False)
    captured.clear()
    gd.th.randn_like = randn_like
    out["psample2"] = diffusion.p_sample(model, x0, 2, False)
    gd.th.randn_like = real_randn_like
    out["psample2.noise"] = captured["noise"]

out = {k: (v.contiguous().clone() if v.dtype != torch.float64 or k.startswith("sampler.") else v.float().contiguous().clone()) for k, v in out.items()}
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
tmp = args.out + ".tmp"
torch.save(out, tmp)
os.replace(tmp, args.out)
print(f"wrote {args.out}: {len(out)} tensors, torch {torch.__version__}")
