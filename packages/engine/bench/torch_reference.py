#!/usr/bin/env python3
"""
PyTorch reference for `sortscope bench --torch PYTHON`: ms per step of sortscope's baseline model
written in plain PyTorch (CPU, float32), the way a PyTorch user would write it:

    python3 packages/engine/bench/torch_reference.py [--batches 64,512] [--reps 15] [--threads 2]
                                                    [--scored-only] [--compile]

The model is packages/engine/src/tfjs/forward.ts in TransformerLens' conventions (names and shapes
of packages/model/src/layout.ts, initialisation of packages/model/src/init.ts): an attention-only
transformer, 1 layer, 2 heads, d_model 96, d_head 48, d_vocab 52, n_ctx 21, LayerNorm (eps 1e-5)
before attention and before the unembedding, causal attention scaled by 1/sqrt(d_head), no MLP;
49,684 parameters. A sequence is 10 distinct numbers of 0 ... 49, SEP (51), the sorted numbers;
the model is fed its first 2n = 20 tokens and the loss is the mean cross-entropy of the logits at
positions n ... 2n-1 against tokens n+1 ... 2n (the sorted numbers).

Per batch size, median ms over --reps of (kinds interleaved rep by rep, each timed step right after
an untimed one of the same kind, after 5 untimed warm-up steps of each kind, as
packages/engine/src/fused/bench.ts does):
  train    forward + backward + torch.optim.Adam(lr=1e-3, weight_decay=0.01) (coupled L2, as
           sortscope's default optimizer)
  sgld     forward + backward + one SGLD update under torch.no_grad:
           w <- w - (eps/2)(nbeta grad + gamma (w - w0)) + sqrt(eps) xi, eps 1e-5, gamma 1e4, nbeta 100
  grad     forward + backward
  forward  forward under torch.no_grad: per-token loss and correctness (argmax) at the scored positions

By default every layer computes all 20 positions and the scored logits are sliced afterwards (what
TransformerLens does); --scored-only computes the last layer's queries, attention and unembedding
at the scored positions only, as sortscope's engines do. --compile wraps the model in torch.compile
(PyTorch 2).

Progress goes to stderr; stdout gets one line of JSON at the end:
  {"torch": ..., "python": ..., "threads": N, "mkldnn": bool, "scored_only": bool, "compile": bool,
   "batches": {"64": {"train": ms, "sgld": ms, "grad": ms, "forward": ms}, ...}}
--check FIXTURE_DIR first evaluates the ARENA checkpoint (fixtures/arena-sorted-list) with this
model and refuses to time anything unless it reproduces the golden loss and token accuracy.
Exit codes: 0 done, 2 bad flags, 3 torch cannot be imported, 4 the --check failed.
"""
import argparse
import json
import math
import platform
import statistics
import struct
import sys
import time

try:
    import torch
    import torch.nn.functional as F

    TORCH_ERROR = None
except Exception as e:  # ImportError, or OSError from a broken shared library
    TORCH_ERROR = e

NAME = "torch_reference.py"
# the baseline model (packages/engine/src/fused/bench-batch.ts, BASELINE)
N_LAYERS, N_HEADS, D_MODEL, D_HEAD = 1, 2, 96, 48
D_VOCAB, N_CTX, LIST_LENGTH, LN_EPS = 52, 21, 10, 1e-5
MAX_NUMBER, SEP = 50, 51  # numbers are drawn from 0 ... MAX_NUMBER - 1
IGNORE = -1e5  # TransformerLens' value for masked attention scores
KINDS = ("train", "sgld", "grad", "forward")
WARMUP = 5
SGLD_EPS, SGLD_GAMMA, SGLD_NBETA = 1e-5, 1e4, 100.0


def log(msg):
    print(f"{NAME}: {msg}", file=sys.stderr, flush=True)


def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def batch_list(s):
    return [positive_int(b) for b in s.split(",")]


def parse_args(argv):
    p = argparse.ArgumentParser(prog=NAME, description="PyTorch ms per step of sortscope's baseline model (one line of JSON on stdout).")
    p.add_argument("--batches", type=batch_list, default=[64, 512], help="batch sizes, comma-separated [64,512]")
    p.add_argument("--reps", type=positive_int, default=15, help="timed steps per kind and batch size; the median is reported [15]")
    p.add_argument("--threads", type=positive_int, default=2, help="torch.set_num_threads [2]")
    p.add_argument("--scored-only", action="store_true", help="compute the last layer's queries and the unembedding at the scored positions only")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2)")
    p.add_argument("--check", metavar="FIXTURE_DIR", help="first check that this model reproduces the ARENA fixture's golden loss and accuracy (exit 4 if not)")
    return p.parse_args(argv)


def load_safetensors(path):
    """{name: float32 tensor} of a safetensors file (its F32 tensors; no other package needed)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32" or not t["shape"]:
            continue  # TransformerLens' mask and IGNORE buffers
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[8 + n + a : 8 + n + b]), dtype=torch.float32).reshape(t["shape"])
    return out


def check_golden(fixture_dir, scored_only):
    """The ARENA checkpoint on its 10,000 evaluation sequences: mean loss and token accuracy against
    the golden numbers sortscope's engines are tested on. Returns (ok, message)."""
    W = load_safetensors(f"{fixture_dir}/arena-sorted-list.safetensors")
    with open(f"{fixture_dir}/eval-10000x21.u8", "rb") as f:
        tokens = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(-1, N_CTX).long()  # [rows, n_ctx]
    with open(f"{fixture_dir}/arena-sorted-list.golden.json") as f:
        golden = json.load(f)["eval_10000"]
    with torch.no_grad():
        logits = scored_logits(logits_of, W, tokens[:, : 2 * LIST_LENGTH], scored_only)  # [rows * n, d_vocab]
        targets = tokens[:, LIST_LENGTH + 1 :].reshape(-1)
        loss = F.cross_entropy(logits, targets).item()
        acc = (logits.argmax(-1) == targets).double().mean().item()
    ok = abs(loss - golden["mean_loss"]) < 5e-5 and abs(acc - golden["token_accuracy"]) < 5e-5
    return ok, f"ARENA check: loss {loss:.7f} (golden {golden['mean_loss']:.7f}), token accuracy {acc:.5f} (golden {golden['token_accuracy']:.5f})"


def param_shapes():
    """TransformerLens state_dict names and shapes, in packages/model/src/layout.ts' order."""
    shapes = [("embed.W_E", (D_VOCAB, D_MODEL)), ("pos_embed.W_pos", (N_CTX, D_MODEL))]
    for layer in range(N_LAYERS):
        pre = f"blocks.{layer}"
        shapes += [
            (f"{pre}.ln1.w", (D_MODEL,)),
            (f"{pre}.ln1.b", (D_MODEL,)),
            (f"{pre}.attn.W_Q", (N_HEADS, D_MODEL, D_HEAD)),
            (f"{pre}.attn.W_K", (N_HEADS, D_MODEL, D_HEAD)),
            (f"{pre}.attn.W_V", (N_HEADS, D_MODEL, D_HEAD)),
            (f"{pre}.attn.W_O", (N_HEADS, D_HEAD, D_MODEL)),
            (f"{pre}.attn.b_Q", (N_HEADS, D_HEAD)),
            (f"{pre}.attn.b_K", (N_HEADS, D_HEAD)),
            (f"{pre}.attn.b_V", (N_HEADS, D_HEAD)),
            (f"{pre}.attn.b_O", (D_MODEL,)),
        ]
    shapes += [("ln_final.w", (D_MODEL,)), ("ln_final.b", (D_MODEL,)), ("unembed.W_U", (D_MODEL, D_VOCAB)), ("unembed.b_U", (D_VOCAB,))]
    return shapes


def init_params(seed):
    """TransformerLens' "gpt2" init: W_* ~ N(0, (0.8/sqrt(d_model))^2), biases 0, LayerNorm weights 1."""
    gen = torch.Generator().manual_seed(seed)
    std = 0.8 / math.sqrt(D_MODEL)
    params = {}
    for name, shape in param_shapes():
        leaf = name.split(".")[-1]
        if leaf.startswith("W_"):
            t = torch.randn(shape, generator=gen) * std
        elif leaf == "w":
            t = torch.ones(shape)
        else:
            t = torch.zeros(shape)
        params[name] = t.requires_grad_()
    return params


def logits_of(W, inputs, scored_only):
    """inputs [batch, 2n] int64 -> logits [batch, Q, d_vocab]: Q = n (the scored positions) with
    scored_only, else 2n."""
    batch, P = inputs.shape
    resid = W["embed.W_E"][inputs] + W["pos_embed.W_pos"][:P]  # [batch, pos, d_model]
    mask = torch.ones(P, P, dtype=torch.bool, device=inputs.device).triu(1)  # key > query: [q_pos, k_pos]
    for layer in range(N_LAYERS):
        pre = f"blocks.{layer}"
        x = F.layer_norm(resid, (D_MODEL,), W[f"{pre}.ln1.w"], W[f"{pre}.ln1.b"], LN_EPS)
        q_start = LIST_LENGTH if scored_only and layer == N_LAYERS - 1 else 0
        xq = x[:, q_start:]  # [batch, q_pos, d_model]
        q = torch.einsum("bpd,hde->bhpe", xq, W[f"{pre}.attn.W_Q"]) + W[f"{pre}.attn.b_Q"][:, None, :]  # [batch, head, q_pos, d_head]
        k = torch.einsum("bpd,hde->bhpe", x, W[f"{pre}.attn.W_K"]) + W[f"{pre}.attn.b_K"][:, None, :]  # [batch, head, k_pos, d_head]
        v = torch.einsum("bpd,hde->bhpe", x, W[f"{pre}.attn.W_V"]) + W[f"{pre}.attn.b_V"][:, None, :]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D_HEAD)  # [batch, head, q_pos, k_pos]
        pattern = scores.masked_fill(mask[q_start:], IGNORE).softmax(dim=-1)
        z = torch.matmul(pattern, v)  # [batch, head, q_pos, d_head]
        attn_out = torch.einsum("bhqe,hed->bqd", z, W[f"{pre}.attn.W_O"]) + W[f"{pre}.attn.b_O"]  # [batch, q_pos, d_model]
        resid = resid[:, q_start:] + attn_out
    x = F.layer_norm(resid, (D_MODEL,), W["ln_final.w"], W["ln_final.b"], LN_EPS)
    return torch.matmul(x, W["unembed.W_U"]) + W["unembed.b_U"]  # [batch, Q, d_vocab]


def scored_logits(model, W, inputs, scored_only):
    """logits at the scored positions n ... 2n-1, flattened: [batch * n, d_vocab]."""
    logits = model(W, inputs, scored_only)
    if not scored_only:
        logits = logits[:, LIST_LENGTH:]
    return logits.reshape(-1, D_VOCAB)


def batch_of(rows, seed):
    """inputs [rows, 2n] (the first 2n tokens) and targets [rows * n] (tokens n+1 ... 2n) of
    sequences `n distinct numbers, SEP, the numbers sorted`."""
    gen = torch.Generator().manual_seed(seed)
    nums = torch.rand(rows, MAX_NUMBER, generator=gen).argsort(dim=1)[:, :LIST_LENGTH]  # distinct, random order
    tokens = torch.cat([nums, torch.full((rows, 1), SEP, dtype=nums.dtype), nums.sort(dim=1).values], dim=1)  # [rows, 2n+1]
    return tokens[:, : 2 * LIST_LENGTH].contiguous(), tokens[:, LIST_LENGTH + 1 :].reshape(-1).contiguous()


class Steps:
    """The four kinds of step. `train`, `grad` and `forward` work on one copy of the weights (which
    Adam updates), `sgld` on a chain that starts at the same weights w0."""

    def __init__(self, model, scored_only):
        self.model = model
        self.scored_only = scored_only
        self.w = init_params(0)
        self.adam = torch.optim.Adam(list(self.w.values()), lr=1e-3, weight_decay=0.01)
        self.w0 = {k: v.detach().clone() for k, v in self.w.items()}
        self.chain = {k: v.detach().clone().requires_grad_() for k, v in self.w.items()}

    def loss(self, W, inputs, targets):
        return F.cross_entropy(scored_logits(self.model, W, inputs, self.scored_only), targets)

    def train(self, inputs, targets):
        self.adam.zero_grad(set_to_none=True)
        loss = self.loss(self.w, inputs, targets)
        loss.backward()
        self.adam.step()
        return loss

    def sgld(self, inputs, targets):
        for p in self.chain.values():
            p.grad = None
        loss = self.loss(self.chain, inputs, targets)
        loss.backward()
        with torch.no_grad():
            for name, p in self.chain.items():
                drift = p.grad.mul(SGLD_NBETA).add_(p - self.w0[name], alpha=SGLD_GAMMA)  # nbeta grad + gamma (w - w0)
                p.add_(drift, alpha=-SGLD_EPS / 2).add_(torch.randn_like(p), alpha=math.sqrt(SGLD_EPS))
        return loss

    def grad(self, inputs, targets):
        for p in self.w.values():
            p.grad = None
        loss = self.loss(self.w, inputs, targets)
        loss.backward()
        return loss

    def forward(self, inputs, targets):
        with torch.no_grad():
            logits = scored_logits(self.model, self.w, inputs, self.scored_only)
            nll = F.cross_entropy(logits, targets, reduction="none")  # [batch * n]
            correct = logits.argmax(dim=-1) == targets
        return nll, correct


def measure(steps, rows, reps):
    """median ms per step of each kind at one batch size"""
    inputs, targets = batch_of(rows, rows)
    run = {kind: getattr(steps, kind) for kind in KINDS}
    for kind in KINDS:
        for _ in range(WARMUP):
            run[kind](inputs, targets)
    times = {kind: [] for kind in KINDS}
    for _ in range(reps):
        for kind in KINDS:
            run[kind](inputs, targets)  # untimed, so that the timed step follows one of its kind
            t = time.perf_counter()
            run[kind](inputs, targets)
            times[kind].append((time.perf_counter() - t) * 1e3)
    # the lower median, as packages/engine/src/fused/bench.ts
    return {kind: round(statistics.median_low(times[kind]), 4) for kind in KINDS}


def main(argv):
    args = parse_args(argv)
    if TORCH_ERROR is not None:
        reason = " ".join(str(TORCH_ERROR).split()) or type(TORCH_ERROR).__name__
        print(f"{NAME}: cannot import torch ({reason})", file=sys.stderr, flush=True)
        return 3
    torch.set_num_threads(args.threads)
    if args.check:
        ok, message = check_golden(args.check, args.scored_only)
        log(message + ("" if ok else ": this is not sortscope's model"))
        if not ok:
            return 4
    torch.manual_seed(0)  # the SGLD noise
    model = logits_of
    if args.compile:
        if not hasattr(torch, "compile"):
            log(f"--compile needs PyTorch 2 (this is {torch.__version__})")
            return 2
        model = torch.compile(logits_of)
    steps = Steps(model, args.scored_only)
    n_params = sum(p.numel() for p in steps.w.values())
    mkldnn = bool(torch.backends.mkldnn.is_available())
    log(
        f"torch {torch.__version__}, python {platform.python_version()}, {torch.get_num_threads()} threads, mkldnn {mkldnn}; "
        f"baseline model ({n_params:,} parameters){', scored positions only' if args.scored_only else ''}{', compiled' if args.compile else ''}; "
        f"median ms over {args.reps} reps"
    )
    result = {}
    for rows in args.batches:
        ms = measure(steps, rows, args.reps)
        result[str(rows)] = ms
        log(f"batch {rows}: " + ", ".join(f"{kind} {ms[kind]:.2f} ms" for kind in KINDS))
    out = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mkldnn": mkldnn,
        "scored_only": args.scored_only,
        "compile": args.compile,
        "batches": result,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
