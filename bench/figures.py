"""What every benchmark does with its figures besides printing them: `--json FILE` keeps them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="also write the figures to this file")


def write_json(figures: Any, path: Path | None) -> None:
    """Write the figures to `path` (the --json option), when one was given."""
    if path:
        path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
