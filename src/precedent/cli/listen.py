"""The listening socket of ``serve`` and ``demo``, bound before anything slow.

uvicorn binds only once the app has started: after the map is opened, torch imported and the
model loaded (half a minute on a small machine), and then says no more than ``address already in
use``. Bound first, a port another process holds is said at once, with what to do.
"""

from __future__ import annotations

import errno
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
        ConfigError: if the address cannot be bound (in use, not an address of this machine, a
            host name that does not resolve).
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: no address is known for {host!r} ({exc.strerror}); "
            f"{_PICK_HOST.format(command=command)}"
        ) from exc
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); {_advice(exc, port, command)}"
        ) from exc
    return listener


_PICK_HOST = (
    "set --host (or PRECEDENT_HOST) to an address of this machine: 127.0.0.1 for this machine "
    "alone, 0.0.0.0 for every interface, e.g. {command} --host 127.0.0.1"
)


def _advice(exc: OSError, port: int, command: str) -> str:
    """What to do about a refused bind: only a port in use is cured by another port."""
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"it is not an address of this machine; {_PICK_HOST.format(command=command)}"
    if exc.errno == errno.EACCES:
        return f"ports below 1024 need privileges this user lacks; pick another: {command} --port 8080"
    return (
        "another demo or 'precedent serve' may be running: stop it, or pick another port: "
        f"{command} --port {port + 1}"
    )
