#!/usr/bin/python3
"""Parity fixtures for L-DiffRec (Wang et al. 2023, §3.4) from the authors' own code.

Run by a developer, never by CI, with Debian's python3-torch 1.13 (apt) and a checkout of the official repository:

    git --git-dir=<YiyanXu/DiffRec mirror> archive d35a6c6 L-DiffRec | tar -x -C /tmp/official
    /usr/bin/python3 tools/parity/generate_ldiffrec.py --official /tmp/official/L-DiffRec --out tests/fixtures/parity/ldiffrec.pt

It imports the official `models/Autoencoder.py`, `models/DNN.py` and `models/gaussian_diffusion.py` from --official
(nothing of them is copied here) and saves, in one flat dict of contiguous tensors, the official weights under their
official names, the inputs, every random draw the official training step makes and the official outputs.
- k-means: `Autoencoder.py` imports `kmeans_pytorch` (not packaged for Debian) and clusters the item embeddings in its
  constructor. A stand-in module returns fixed cluster ids, so the fixture pins the clustering and the tests build our
  autoencoder from the same ids (our k-means is tested on its own).
- Dropout: the autoencoder's input dropout is fixed by feeding x * mask / (1 - p) with the dropout replaced by the
  identity (the same computation with a known mask); the latent denoiser's dropout is off (identity) in the training
  step, because the draw it makes on x_t cannot be replayed in our code without changing it.
- The training step is main.py's loop body (lines 264-297 at d35a6c6): Encode, training_losses(reweight), Decode of
  pred_xstart, the multinomial NLL against the dropped-out input in cluster order, the annealed KL and the λ-weighted
  total. main.py is a script and cannot be imported; its two anneal formulas are restated below (`lamda`, `anneal`).
"""
import argparse, os, sys, types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_io import save  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--official", required=True, help="the official L-DiffRec/ folder (holds models/)")
p.add_argument("--out", required=True)
args = p.parse_args()

torch.manual_seed(20232)
torch.set_num_threads(1)
users, items, clusters, latent, mlp_dims, emb, steps = 8, 24, 3, 12, [16], 8, 5
ae_drop = 0.1
noise_scale, noise_min, noise_max = 0.1, 0.001, 0.02
cluster_ids = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 1, 2, 0, 2, 1, 0, 1, 2, 0, 1, 2, 1, 0, 2])  # sizes 7, 9, 8
assert len(cluster_ids) == items

# kmeans_pytorch stand-in: Autoencoder.py calls kmeans(X=item_emb, num_clusters=n_cate, distance='euclidean', device=device)
sys.modules["kmeans_pytorch"] = types.SimpleNamespace(kmeans=lambda X, num_clusters, distance, device: (cluster_ids.clone(), None))
sys.path.insert(0, os.path.abspath(args.official))
from models.Autoencoder import AutoEncoder, compute_loss  # noqa: E402  (official)
from models.DNN import DNN  # noqa: E402  (official)
import models.gaussian_diffusion as gd  # noqa: E402  (official)

item_emb = torch.randn(items, 4)  # only its length is used: the clusters are fixed above
ae = AutoEncoder(item_emb, clusters, [latent], [], "cpu", "tanh", reparam=True, dropout=ae_drop)
diffusion = gd.GaussianDiffusion(gd.ModelMeanType.START_X, "linear-var", noise_scale, noise_min, noise_max, steps, "cpu")
# main.py: mlp_out_dims = mlp_dims + [latent]; mlp_in_dims = reversed; DNN(..., time_type="cat", norm=False, act_func="tanh")
model = DNN((mlp_dims + [latent])[::-1], mlp_dims + [latent], emb, time_type="cat", norm=False, act_func="tanh")

out = {"cluster_ids": cluster_ids, "category_map": ae.category_map.clone(), "latent_sizes": torch.tensor([d[0] for d in ae.decode_dim])}
for k, v in ae.state_dict().items(): out["ae." + k] = v.detach().clone()
for k, v in model.state_dict().items(): out["mlp." + k] = v.detach().clone()

x = (torch.rand(users, items) < 0.35).float()
x[0, :] = 0; x[0, 3] = 1                                  # a user with one interaction
keep = (torch.rand(users, items) >= ae_drop).float() / (1 - ae_drop)
xin = x * keep
out["x"], out["mask"] = x, keep

# One training step with every draw captured.
ae.dropout = torch.nn.Identity()
model.dropout = torch.nn.Identity()
captured = {}
real_randn_like, real_sample = torch.randn_like, diffusion.sample_timesteps
def sample_timesteps(batch_size, device, method="uniform", uniform_prob=0.001):
    t, pt = real_sample(batch_size, device, method, uniform_prob)
    captured["t"], captured["pt"] = t.clone(), pt.clone()
    return t, pt
def randn_like(x, *a, **k):
    n = real_randn_like(x, *a, **k)
    captured.setdefault("randn", []).append(n.clone())
    return n
def reparam(mu, logvar):                                   # the official reparamterization, its inputs recorded
    captured["mu"], captured["logvar"] = mu.detach().clone(), logvar.detach().clone()
    return real_reparam(mu, logvar)
real_reparam = ae.reparamterization
ae.reparamterization = reparam
diffusion.sample_timesteps = sample_timesteps
torch.randn_like = randn_like          # Autoencoder.py (torch) and gaussian_diffusion.py (th) share the module object
ae.train(); model.train()
batch_cate, batch_latent, kl = ae.Encode(xin)
terms = diffusion.training_losses(model, batch_latent, reweight=True)
torch.randn_like = real_randn_like
eps, noise = captured["randn"]
out["train.eps"], out["train.noise"] = eps, noise
out["train.mu"], out["train.logvar"] = captured["mu"], captured["logvar"]
out["train.z0"] = batch_latent.detach().clone()
out["train.kl"] = kl.detach().reshape(1)
out["train.t"], out["train.pt"] = captured["t"], captured["pt"].float()
out["train.diffusion_loss"] = terms["loss"].detach().clone()      # per example, reweighted, divided by p_t
out["train.pred_z0"] = terms["pred_xstart"].detach().clone()
recon = ae.Decode(terms["pred_xstart"])
out["train.recon"] = recon.detach().clone()                        # items in cluster order (category_map)
nll = compute_loss(recon, batch_cate)
out["train.nll"] = nll.detach().reshape(1)

def total(update_count, update_count_vae, lamda0=0.03, anneal_cap=0.005, anneal_steps=500, vae_anneal_cap=0.3, vae_anneal_steps=200):
    lamda = max((1. - update_count / anneal_steps) * lamda0, anneal_cap)             # main.py line 276
    anneal = min(vae_anneal_cap, 1. * update_count_vae / vae_anneal_steps)           # main.py line 281
    return lamda * terms["loss"].mean() + (nll + anneal * kl)                         # reweight: lamda * elbo + vae_loss
anneals = [(0, 0), (200, 50), (600, 300)]
out["train.anneal"] = torch.tensor(anneals)
out["train.total"] = torch.stack([total(e, b).detach() for e, b in anneals])

# One step of each AdamW (main.py: optimizer1 on the autoencoder, lr1; optimizer2 on the MLP, lr2) on the total at (0, 0).
opt1 = torch.optim.AdamW(ae.parameters(), lr=1e-3, weight_decay=0.0)
opt2 = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.0)
opt1.zero_grad(); opt2.zero_grad()
total(0, 0).backward()
opt1.step(); opt2.step()
for k, v in ae.state_dict().items(): out["adam.ae." + k] = v.detach().clone()
for k, v in model.state_dict().items(): out["adam.mlp." + k] = v.detach().clone()

# evaluate(): Encode in eval mode (latent = μ), p_sample for T' = 0 and T' = 2 (its q_sample noise captured), Decode.
ae.load_state_dict({k[3:]: v for k, v in out.items() if k.startswith("ae.")})
model.load_state_dict({k[4:]: v for k, v in out.items() if k.startswith("mlp.")})
ae.eval(); model.eval()
with torch.no_grad():
    _, mu, _ = ae.Encode(x)
    out["score.mu"] = mu.clone()
    out["score0"] = ae.Decode(diffusion.p_sample(model, mu, 0, False))
    captured.clear()
    gd.th.randn_like = randn_like
    out["score2"] = ae.Decode(diffusion.p_sample(model, mu, 2, False))
    gd.th.randn_like = real_randn_like
    out["score2.noise"] = captured["randn"][0]

save(out, args.out)
