"""Run the CUBA benchmark network (Brette et al. 2007) and plot its raster and v traces.

    python examples/cuba.py --backend jax --duration 1 --out cuba.png
    python examples/cuba.py --backend brian2
"""

from _run import run_example

if __name__ == "__main__":
    run_example("cuba", __doc__, "cuba.png")
