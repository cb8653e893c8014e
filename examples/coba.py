"""Run the COBA benchmark network (Brette et al. 2007) and plot its raster and v traces.

    python examples/coba.py --backend jax --duration 1 --out coba.png
    python examples/coba.py --backend brian2
"""

from _run import run_example

if __name__ == "__main__":
    run_example("coba", __doc__, "coba.png")
