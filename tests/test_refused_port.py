"""The refused port tests use for a server that is down: refused, and nobody else's meanwhile."""

from __future__ import annotations

import socket

import pytest

from tests.support.refused_port import refused_port


def test_a_held_port_refuses_connections_and_cannot_be_taken_meanwhile() -> None:
    # Tests picked a "closed" port by binding and closing a socket: free again at once, so a
    # server started meanwhile on the box could take it and answer in place of the refusal.
    with refused_port() as port:
        with socket.socket() as client, pytest.raises(ConnectionRefusedError):
            client.connect(("127.0.0.1", port))
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
            with pytest.raises(OSError, match="Address already in use"):
                server.bind(("127.0.0.1", port))
