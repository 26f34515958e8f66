"""ISO 13528 statistics as pt13528 (an independent implementation, from PyPI) computes them.
Reads on stdin a JSON object with any of:
  "rounds": lists of results -> Algorithm A (its default, relative stopping criterion),
            MADe and nIQR of each;
  "homogeneity": {"items": [[replicates of an item], ...], "sigma_pt": x or null} (Annex B.3);
  "stability": {"first": [...], "second": [...], "sigma_pt": x} (Annex B.5);
and writes the same keys on stdout, one answer per entry, in order."""

import json
import sys

from pt13528 import homogeneity, robust

asked = json.load(sys.stdin)
out = {"rounds": [], "homogeneity": [], "stability": []}
for values in asked.get("rounds", []):
    a = robust.algorithm_a(values)
    out["rounds"].append({
        "x_star": a.location,
        "s_star": a.scale,
        "degenerate": bool(a.degenerate),
        "made": robust.made(values),
        "niqr": robust.niqr(values),
    })
for h in asked.get("homogeneity", []):
    r = homogeneity.homogeneity(h["items"], sigma_pt=h["sigma_pt"])
    out["homogeneity"].append({
        "g": r.g, "m": r.m, "mean": r.mean, "s_x": r.s_x, "s_w": r.s_w, "s_s": r.s_s,
        "criterion": r.criterion, "sufficient": r.sufficient,
    })
for s in asked.get("stability", []):
    r = homogeneity.stability(s["first"], s["second"], sigma_pt=s["sigma_pt"])
    out["stability"].append({
        "mean_1": r.mean_1, "mean_2": r.mean_2, "difference": r.difference,
        "criterion": r.criterion, "stable": bool(r.stable),
    })
json.dump(out, sys.stdout)
