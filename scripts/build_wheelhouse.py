#!/usr/bin/env python3
"""Build a wheelhouse: jixiao and every dependency as wheels, for installing on a machine without internet.

    python3 scripts/build_wheelhouse.py [--out wheelhouse] [--extra service]

then, on the offline machine (same operating system, CPU architecture and Python minor version):

    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links wheelhouse 'jixiao[service]'

durable_rules publishes only a source distribution; `pip wheel` builds it here (this needs a C
compiler on the building machine, not on the offline one). jixiao itself is built from a clean copy
of this checkout, so a stale build/ folder can never leak into its wheel. Only the Python standard
library and pip are used. See docs/offline-install.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# not part of the source distribution: virtual environments, caches, build output, local data
SKIP = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
        ".mypy_cache", ".ruff_cache", "jixiao-data", "wheelhouse")


def pip(python: str, *args: str) -> None:
    """Run pip with ``python``; a failure stops the build with pip's own message."""
    command = [python, "-m", "pip", *args]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def build(out: Path, extra: str, python: str) -> list[Path]:
    """Fill ``out`` with the jixiao wheel and the wheels of everything it (with ``extra``) needs."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jixiao-src-") as tmp:
        source = Path(tmp) / "jixiao"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SKIP))
        for old in out.glob("jixiao-*.whl"):  # an earlier build's: pip would take the highest version
            old.unlink()
        pip(python, "wheel", "--no-deps", "--wheel-dir", str(out), str(source))
    (wheel,) = out.glob("jixiao-*.whl")
    # resolve from the wheel just built: an index's project of the same name can never be picked instead
    pip(python, "wheel", "--wheel-dir", str(out), f"{wheel}[{extra}]" if extra else str(wheel))
    files = sorted(out.iterdir())
    not_wheels = [f.name for f in files if f.suffix != ".whl" and f.name != "requirements.txt"]
    if not_wheels:
        raise SystemExit(f"not wheels (pip could not build them): {', '.join(not_wheels)}")
    wheels = [f for f in files if f.suffix == ".whl"]
    pins = sorted({"{}=={}".format(*f.name.split("-")[:2]) for f in wheels}, key=str.lower)
    (out / "requirements.txt").write_text("\n".join(pins) + "\n", encoding="utf-8")
    return wheels


def main() -> None:
    """Parse the command line, build, and print the command that installs from the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "wheelhouse",
                        help="the wheelhouse folder (default: wheelhouse/)")
    parser.add_argument("--extra", default="service",
                        help="extra to include, e.g. service; '' for the engine and CLI only")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python whose version and platform the wheels are for (default: this one)")
    args = parser.parse_args()
    wheels = build(args.out.resolve(), args.extra, args.python)
    target = f"jixiao[{args.extra}]" if args.extra else "jixiao"
    print(f"{len(wheels)} wheels in {args.out}; on the offline machine:\n"
          f"  pip install --no-index --find-links {args.out} '{target}'")


if __name__ == "__main__":
    main()
