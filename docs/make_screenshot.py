"""Regenerate the screenshots of the explain pages in docs/: Matt Mazur's 2-2-2 walk-through
at its backward step (explain-step.png, explain-step-ko.png) and the lessons
(explain-graph.png, explain-split.png, explain-xor.png), drawn by headless Chromium (Debian:
``apt-get install chromium``).

    python docs/make_screenshot.py [--lesson step|split|graph|xor] [--lang ko]
                                   [--step forward|backward|update] [--out PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chainrule import explain

# No sandbox (root in a container), no GPU, no /dev/shm (small in containers; Debian's
# launcher means to add this flag itself but its check fails where findmnt lists two
# mounts), and none of the background connections that a closed network would answer with
# a flood of failures.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _step() -> explain.Trace:
    example = explain.seed_000()
    return explain.trace(
        example.model,
        example.inputs,
        example.targets,
        example.loss,
        example.lr,
        example.freeze_biases,
        steps=5,
    )


LESSONS = {
    "step": _step,
    "split": lambda: explain.error_split([[2.0, 3.0], [1.0, 4.0]], [0.8, 0.5]),
    "graph": lambda: explain.price_graph("apple-orange", {}),
    "xor": explain.xor_story,
}
"""What each screenshot shows: the walk-through of the worked example, or a lesson."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=explain.LANGUAGES, default="en")
    parser.add_argument("--step", choices=("forward", "backward", "update"), default="backward")
    parser.add_argument("--lesson", choices=LESSONS, default="step")
    parser.add_argument("--out", help="the PNG to write (default docs/explain-LESSON[-ko].png)")
    parser.add_argument("--size", default="1200,1400", help="window width,height in pixels")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    suffix = "" if args.lang == "en" else f"-{args.lang}"
    out = args.out or str(Path(__file__).with_name(f"explain-{args.lesson}{suffix}.png"))
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch, f"{args.lesson}.html")
        page.write_text(explain.render_html(LESSONS[args.lesson](), args.lang), encoding="utf-8")
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(scratch, 'profile')}",
            f"--window-size={args.size}",
            "--virtual-time-budget=2000",
            f"--screenshot={Path(out).resolve()}",
            f"{page.as_uri()}#{args.step}",
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
