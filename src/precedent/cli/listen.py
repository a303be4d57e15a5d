"""The listening socket of ``serve`` and ``demo``, bound before anything slow.

uvicorn binds only once the app has started: after the map is opened, torch imported and the
model loaded (half a minute on a small machine), and then says no more than ``address already in
use``. Bound first, a port another process holds is said at once, with what to do.
"""

from __future__ import annotations

import socket

from precedent.errors import ConfigError

__all__ = ["bind_listener"]


def bind_listener(host: str, port: int, *, command: str) -> socket.socket:
    """A socket bound to ``host:port``, for ``uvicorn.Server.serve(sockets=[...])``.

    Args:
        host: The interface.
        port: The port (0 for any free one).
        command: The command the user runs, for the advice, e.g. ``precedent serve``.

    Raises:
        ConfigError: if the address cannot be bound (in use, or not an address of this machine).
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); another demo or 'precedent serve' may "
            f"be running: stop it, or pick another port: {command} --port {port + 1}"
        ) from exc
    return listener
