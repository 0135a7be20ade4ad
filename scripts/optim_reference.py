#!/usr/bin/env python3
"""Reference values for backprop-optim, produced by PyTorch in float64.

Writes crates/backprop-optim/tests/fixtures/torch_optim.txt, which the Rust
integration test `tests/torch_reference.rs` reads (the Rust tests never run
Python). Run from the repository root:

    /path/to/python scripts/optim_reference.py

The problem: two parameters, W (3x2) and b (3x1), and the loss

    L = sum((W @ X + b - Y) ** 2)      X: 2x4, Y: 3x4 (fixed)

so every gradient depends on the current weights. For each optimizer
configuration ("case") the script takes three steps from the same initial
values and records W and b after each step. It also records the values of
torch's StepLR, ExponentialLR and CosineAnnealingLR schedules.

File format (line oriented, whitespace separated, '#' starts a comment line):

    matrix <name> <rows> <cols> <values, row-major>
    case <case-name> <key>=<value> ...
    step <k> <param-name> <rows> <cols> <values, row-major>
    schedule <kind> <key>=<value> ... : <lr at epoch 0> <lr at epoch 1> ...

Floats are written with repr(), which round-trips exactly through Rust's
`str::parse::<f64>`. Optimizers run with foreach=False (the single-tensor
code path, whose operation order the Rust implementation follows).
"""

import math
import os
import sys

import torch

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "crates",
    "backprop-optim",
    "tests",
    "fixtures",
    "torch_optim.txt",
)

DT = torch.float64
STEPS = 3

X = torch.tensor([[0.5, -1.2, 0.8, 1.5], [1.1, 0.3, -0.7, 0.9]], dtype=DT)
Y = torch.tensor(
    [[1.0, -0.5, 0.25, 2.0], [-1.5, 0.75, 1.25, -0.25], [0.6, 1.8, -0.9, 1.1]],
    dtype=DT,
)
W0 = torch.tensor([[0.9, -0.6], [0.35, 1.2], [-0.8, 0.45]], dtype=DT)
B0 = torch.tensor([[0.3], [-0.55], [0.7]], dtype=DT)

# (case name, algorithm, lr, hyper-parameters). Every hyper-parameter the Rust
# test needs is written to the fixture, defaults included.
CASES = [
    ("sgd", "sgd", 0.01, dict(momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)),
    ("sgd_momentum", "sgd", 0.01, dict(momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)),
    ("sgd_nesterov", "sgd", 0.01, dict(momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0)),
    ("sgd_weight_decay", "sgd", 0.01, dict(momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.1)),
    (
        "sgd_momentum_dampening_weight_decay",
        "sgd",
        0.01,
        dict(momentum=0.8, dampening=0.3, nesterov=False, weight_decay=0.05),
    ),
    (
        "rmsprop",
        "rmsprop",
        0.01,
        dict(alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    ),
    (
        "rmsprop_centered_momentum_weight_decay",
        "rmsprop",
        0.01,
        dict(alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.7, centered=True),
    ),
    ("adam", "adam", 0.01, dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)),
    ("adam_weight_decay", "adam", 0.01, dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1)),
    ("adam_betas_eps", "adam", 0.02, dict(beta1=0.3, beta2=0.95, eps=1e-3, weight_decay=0.0)),
    ("adamw", "adamw", 0.01, dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)),
    ("adamw_strong_decay", "adamw", 0.05, dict(beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.5)),
]


def make_optimizer(algo, params, lr, h):
    if algo == "sgd":
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=h["momentum"],
            dampening=h["dampening"],
            nesterov=h["nesterov"],
            weight_decay=h["weight_decay"],
            foreach=False,
        )
    if algo == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=lr,
            alpha=h["alpha"],
            eps=h["eps"],
            weight_decay=h["weight_decay"],
            momentum=h["momentum"],
            centered=h["centered"],
            foreach=False,
        )
    if algo in ("adam", "adamw"):
        cls = torch.optim.Adam if algo == "adam" else torch.optim.AdamW
        return cls(
            params,
            lr=lr,
            betas=(h["beta1"], h["beta2"]),
            eps=h["eps"],
            weight_decay=h["weight_decay"],
            foreach=False,
        )
    raise ValueError(algo)


def fmt(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return repr(float(v))


def values(t):
    return " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def matrix_line(keyword, name, t):
    r, c = t.shape
    return f"{keyword} {name} {r} {c} {values(t)}"


def run_case(name, algo, lr, h, lines, smallest):
    W = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    opt = make_optimizer(algo, [W, b], lr, h)
    keys = " ".join(f"{k}={fmt(v)}" for k, v in h.items())
    lines.append(f"case {name} algo={algo} lr={fmt(lr)} {keys}")
    for k in range(1, STEPS + 1):
        opt.zero_grad()
        loss = ((W @ X + b - Y) ** 2).sum()
        loss.backward()
        smallest["grad"] = min(smallest["grad"], W.grad.abs().min().item(), b.grad.abs().min().item())
        opt.step()
        smallest["value"] = min(smallest["value"], W.abs().min().item(), b.abs().min().item())
        lines.append(f"step {k} W {3} {2} {values(W)}")
        lines.append(f"step {k} b {3} {1} {values(b)}")


def schedule_values(make, epochs):
    p = torch.zeros(1, dtype=DT, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return out


def main():
    torch.set_default_dtype(DT)
    lines = [
        f"# Generated by scripts/optim_reference.py with torch {torch.__version__} (float64). Do not edit.",
        "# Problem: L = sum((W X + b - Y)^2), W 3x2, b 3x1, X 2x4, Y 3x4. Matrices are row-major.",
        matrix_line("matrix", "X", X),
        matrix_line("matrix", "Y", Y),
        matrix_line("matrix", "W", W0),
        matrix_line("matrix", "b", B0),
    ]
    smallest = {"grad": math.inf, "value": math.inf}
    for name, algo, lr, h in CASES:
        run_case(name, algo, lr, h, lines, smallest)
    # The Rust test compares with a purely relative tolerance, so no recorded
    # value may sit near zero, and f32 runs need gradients well away from zero.
    if smallest["value"] < 1e-2 or smallest["grad"] < 1e-2:
        sys.exit(f"problem too close to zero: {smallest}")

    lines.append("# Schedules with base lr 0.1; value k is the lr used in epoch k (0-based).")
    sched = torch.optim.lr_scheduler
    lines.append(
        "schedule step_lr base=0.1 step_size=3 gamma=0.5 : "
        + " ".join(map(repr, schedule_values(lambda o: sched.StepLR(o, step_size=3, gamma=0.5), 12)))
    )
    lines.append(
        "schedule exponential_lr base=0.1 gamma=0.9 : "
        + " ".join(map(repr, schedule_values(lambda o: sched.ExponentialLR(o, gamma=0.9), 12)))
    )
    lines.append(
        "schedule cosine_annealing_lr base=0.1 t_max=10 eta_min=0.001 : "
        + " ".join(
            map(repr, schedule_values(lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 11))
        )
    )

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(OUT)} (smallest |value| {smallest['value']:.3g}, |grad| {smallest['grad']:.3g})")


if __name__ == "__main__":
    main()
