"""The speed suite: one training epoch of each workload by chainrule, by hand-written NumPy
and by PyTorch (when importable), side by side; a table of samples/s and ratios against
their targets, and the same figures as JSON with ``--json PATH``.

    python benchmarks/run.py [--workloads a,b,c,d,e] [--repeats 5] [--json PATH] [--quick]
    python benchmarks/run.py --device cuda    # the GPU suite: (c) and (f) against PyTorch CUDA

The suite is the ``speed`` package beside this file, not part of the installed chainrule.
Works from a clone without installing: it puts ``src`` on the path. See README.md here.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed.suite import main

if __name__ == "__main__":
    sys.exit(main())
