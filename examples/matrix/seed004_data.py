"""Write the small data set of docs/matrix-train.md: seed 004's arrays, drawn as the post draws
them (x, y, w2 standard normal; w1 uniform in [0, 1)), at sizes that train in a second.

    python examples/matrix/seed004_data.py [FOLDER]

writes seed004_data.npz (x: N×D_in, y: N×D_out), seed004_w1.npy (D_in×H) and seed004_w2.npy
(H×D_out) into FOLDER (default: this script's folder, where the committed copies are).
"""

import sys
from pathlib import Path

import numpy as np

N, D_IN, H, D_OUT = 32, 50, 10, 5          # the seed's are 64, 1000, 100, 10


def main(folder):
    folder = Path(folder)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    w1, w2 = rng.random((D_IN, H)), rng.standard_normal((H, D_OUT))
    np.savez(folder / "seed004_data.npz", x=x, y=y)
    np.save(folder / "seed004_w1.npy", w1)
    np.save(folder / "seed004_w2.npy", w2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent)
