"""A loopback port that refuses every connection for as long as it is held.

A port picked by binding a socket and closing it is free again at once: another test (or
another process on the box) may start listening there before the client tries it, and the
"unreachable" it was meant to see becomes a connection to something else. A socket bound but
never listening keeps the port: no one else can bind it, and Linux answers each connection
to it with a reset (``ECONNREFUSED``), as a port whose server is down.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["refused_port"]


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A ``127.0.0.1`` port nothing listens on and nothing else can take, inside the block."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])
