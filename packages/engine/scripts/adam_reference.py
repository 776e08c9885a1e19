"""Reference values for optimizer.test.ts: PyTorch Adam (coupled L2) and AdamW, three steps.

Run: python packages/engine/scripts/adam_reference.py   (needs torch; output pasted into the test)
"""
import json
import torch

w0 = [0.5, -1.25, 2.0, 0.0]
grads = [[0.1, -0.2, 0.3, 0.0], [0.05, 0.4, -0.1, 1e-3], [-0.3, 0.2, 0.25, -2.0]]
lrs = [1e-3, 5e-4, 2e-4]
out = {}
for name, cls in [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)]:
    w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float32))
    opt = cls([w], lr=lrs[0], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
    traj = []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        w.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        traj.append([float(x) for x in w.detach()])
    out[name] = traj
print(json.dumps(out))
