"""Who the CLI answers as: the map's owner, unless asked to answer as a public viewer would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER

if TYPE_CHECKING:
    import argparse

    from precedent.model import Viewer

__all__ = ["add_viewer_flag", "viewer_from"]


OWNER_SEES = "the CLI is run by the map's owner and sees everything otherwise"


def add_viewer_flag(parser: argparse.ArgumentParser, otherwise: str = OWNER_SEES) -> None:
    """Add ``--public-only``: answer as a caller without access to private incidents would see it.

    Args:
        parser: The command's parser.
        otherwise: What the command shows without the flag, when not simply everything.
    """
    parser.add_argument(
        "--public-only",
        action="store_true",
        help=f"leave out private incidents, as a caller without read:private would see it ({otherwise})",
    )


def viewer_from(args: argparse.Namespace) -> Viewer:
    """The viewer the command answers as."""
    return PUBLIC_VIEWER if args.public_only else OWNER_VIEWER
