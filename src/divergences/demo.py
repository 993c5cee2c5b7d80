"""``divergences demo``: the main uses on built-in examples, printed as a short tour."""

from __future__ import annotations

from pathlib import Path

import divergences as dv

from .plot import bar_chart, text_bars

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]


def run_demo(plot_path: str | Path = "divergences-demo.png") -> None:
    """Print the tour; draw P and Q to ``plot_path`` (or as text bars without matplotlib)."""
    print("divergences demo: how far apart are two distributions?\n")
    print(f"P = {P}\nQ = {Q}\n")
    try:
        path = bar_chart({"P": P, "Q": Q}, plot_path, title="P and Q")
        print(f"(bar chart of P and Q written to {path})\n")
    except ImportError:
        print(text_bars({"P": P, "Q": Q}) + "\n")

    print("Kullback-Leibler divergence (relative entropy) is asymmetric:")
    print(f"  KL(P||Q) = {dv.kl(P, Q, base=2):.3f} bits = {dv.kl(P, Q):.3f} nats")
    print(f"  KL(Q||P) = {dv.kl(Q, P, base=2):.3f} bits = {dv.kl(Q, P):.3f} nats")
    print("Jensen-Shannon divergence is symmetric and bounded by 1 bit; its square root is a metric:")
    print(f"  JS(P, Q) = {dv.js(P, Q, base=2):.3f} bits, JS distance = {dv.js_distance(P, Q, base=2):.3f}")
    h, kl, ce = dv.entropy(P, base=2), dv.kl(P, Q, base=2), dv.cross_entropy(P, Q, base=2)
    print("Cross-entropy = entropy + KL:")
    print(f"  H(P, Q) = {ce:.3f} bits = H(P) {h:.3f} + KL(P||Q) {kl:.3f}")
    print("The rest of the family:")
    for name in ("hellinger", "total_variation", "bhattacharyya", "chi2", "psi"):
        print(f"  {name:<16}{getattr(dv, name)(P, Q):.3f}")

    truth = [1.0, 0.0]
    print("\nA classifier's prediction against the truth [1, 0] (cross-entropy loss, in bits):")
    for pred in ([0.1, 0.9], [0.9, 0.1]):
        print(f"  predicted {pred}: {dv.cross_entropy(truth, pred, base=2):.3g} bits")

    bad = [0.20, 0.40, 0.50]
    print(f"\nA vector that does not sum to 1, {bad} (sum 1.1), is refused, not silently rescaled:")
    try:
        dv.kl(bad, Q)
    except dv.InvalidInputError as exc:
        print(f"  InvalidInputError: {exc}")
    print("With normalize=True it is treated as weights and divided by its sum:")
    print(f"  kl({bad}, Q, normalize=True, base=2) = {dv.kl(bad, Q, normalize=True, base=2):.3f} bits")
    print("\nRun `divergences list` for every measure, `divergences kl --help` for the options.")
