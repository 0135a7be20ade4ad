#!/usr/bin/env python3
"""Writes the SYNTHETIC sample tables used by `examples/csv.rs`.

Nothing here is real data: every file is drawn from simple formulas with a
fixed seed, so running this script again reproduces them byte for byte
(Python's `random.Random` is a seeded Mersenne Twister, stable across
versions).

- moons.csv: two interleaved half-circles ("two moons"), 300 rows,
  features x1, x2 with Gaussian noise (sd 0.15), label 0 or 1. A binary
  classification task that a straight line cannot separate.
- houses.csv: 400 made-up houses: area_m2, rooms, age_years, distance_km
  and a price in thousands (the last column) from a non-linear formula plus
  Gaussian noise (sd 12). A regression task.
- flowers.csv: 150 made-up flowers in the shape of Fisher's iris table
  (but not its measurements): an id, four lengths in cm drawn around a
  mean per species, and the species as text (setosa, versicolor,
  virginica); 8 cells are missing (empty, NA or ?). Text labels, an id
  column to drop, and missing values to drop or fill.
- flowers-new.csv: 6 more such flowers without the species column, one
  with a missing petal width: rows to predict with a saved model.

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


SPECIES = {
    # mean sepal length, sepal width, petal length, petal width (cm)
    "setosa": (5.0, 3.4, 1.5, 0.25),
    "versicolor": (5.9, 2.8, 4.3, 1.3),
    "virginica": (6.6, 3.0, 5.5, 2.0),
}
COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def flower(rng, species):
    return [max(0.1, m + rng.gauss(0.0, 0.12 * m)) for m in SPECIES[species]]


def flowers(path, n=150, seed=5, missing=8):
    rng = random.Random(seed)
    names = sorted(SPECIES)
    rows = []
    for i in range(n):
        species = names[i % 3]
        rows.append([f"{v:.1f}" for v in flower(rng, species)] + [species])
    rng.shuffle(rows)
    for k in range(missing):
        r, c = rng.randrange(n), rng.randrange(4)
        rows[r][c] = ["", "NA", "?"][k % 3]
    with open(path, "w", newline="\n") as f:
        f.write(",".join(["id"] + COLUMNS + ["species"]) + "\n")
        for i, row in enumerate(rows):
            f.write(",".join([str(1001 + i)] + row) + "\n")


def new_flowers(path, seed=6):
    rng = random.Random(seed)
    with open(path, "w", newline="\n") as f:
        f.write(",".join(["id"] + COLUMNS) + "\n")
        for i, species in enumerate(["setosa", "virginica", "versicolor"] * 2):
            row = [f"{v:.1f}" for v in flower(rng, species)]
            if i == 4:
                row[3] = ""
            f.write(",".join([str(2001 + i)] + row) + "\n")


if __name__ == "__main__":
    moons(os.path.join(HERE, "moons.csv"))
    houses(os.path.join(HERE, "houses.csv"))
    flowers(os.path.join(HERE, "flowers.csv"))
    new_flowers(os.path.join(HERE, "flowers-new.csv"))
