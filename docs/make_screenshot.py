"""Regenerate docs/explain-seed-000.png: seed 000's walk-through page at its backward step,
drawn by headless Chromium (Debian: ``apt-get install chromium``).

    python docs/make_screenshot.py [--lang ko] [--step forward|backward|update] [--out PATH]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=explain.LANGUAGES, default="en")
    parser.add_argument("--step", choices=("forward", "backward", "update"), default="backward")
    parser.add_argument("--out", default=str(Path(__file__).with_name("explain-seed-000.png")))
    parser.add_argument("--size", default="1200,1400", help="window width,height in pixels")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    example = explain.seed_000()
    trace = explain.trace(
        example.model,
        example.inputs,
        example.targets,
        example.loss,
        example.lr,
        example.freeze_biases,
        steps=5,
    )
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch, "seed-000.html")
        page.write_text(explain.render_html(trace, args.lang), encoding="utf-8")
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(scratch, 'profile')}",
            f"--window-size={args.size}",
            "--virtual-time-budget=2000",
            f"--screenshot={Path(args.out).resolve()}",
            f"{page.as_uri()}#{args.step}",
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
