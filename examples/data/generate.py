#!/usr/bin/env python3
"""Writes the SYNTHETIC sample tables used by `examples/csv.rs`.

Nothing here is real data: both files are drawn from simple formulas with a
fixed seed, so running this script again reproduces them byte for byte
(Python's `random.Random` is a seeded Mersenne Twister, stable across
versions).

- moons.csv: two interleaved half-circles ("two moons"), 300 rows,
  features x1, x2 with Gaussian noise (sd 0.15), label 0 or 1. A binary
  classification task that a straight line cannot separate.
- houses.csv: 400 made-up houses: area_m2, rooms, age_years, distance_km
  and a price in thousands (the last column) from a non-linear formula plus
  Gaussian noise (sd 12). A regression task.

Usage: python3 examples/data/generate.py   (from the repository root)
"""

import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def moons(path, n=300, noise=0.15, seed=7):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        t = rng.uniform(0.0, math.pi)
        if label == 0:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        rows.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise), label))
    rng.shuffle(rows)
    with open(path, "w", newline="\n") as f:
        f.write("x1,x2,label\n")
        for x, y, label in rows:
            f.write(f"{x:.4f},{y:.4f},{label}\n")


def houses(path, n=400, seed=11):
    rng = random.Random(seed)
    with open(path, "w", newline="\n") as f:
        f.write("area_m2,rooms,age_years,distance_km,price\n")
        for _ in range(n):
            area = rng.uniform(35.0, 180.0)
            rooms = min(7, max(1, round(area / 28.0 + rng.gauss(0.0, 0.7))))
            age = rng.randint(0, 80)
            distance = rng.uniform(0.5, 25.0)
            price = (
                40.0
                + 1.9 * area
                + 12.0 * rooms
                - 0.6 * age
                + 160.0 * math.exp(-distance / 6.0)
                + rng.gauss(0.0, 12.0)
            )
            f.write(f"{area:.1f},{rooms},{age},{distance:.2f},{price:.1f}\n")


if __name__ == "__main__":
    moons(os.path.join(HERE, "moons.csv"))
    houses(os.path.join(HERE, "houses.csv"))
