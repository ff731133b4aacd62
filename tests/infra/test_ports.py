"""Ports for the servers the stack, the benchmark, the chaos runs and the tests start: chosen where
nothing else takes them meanwhile, and a server that still cannot bind says why."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.embedded import TemporalDevServer, _ephemeral_low, _kernel_choice, free_port

pytestmark = pytest.mark.timeout(60)


def test_free_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= port < _ephemeral_low() for port in ports)
    # What bind(0) and client connections get comes from the range above: none of ours.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        assert sock.getsockname()[1] >= _ephemeral_low()
    for port in ports[:20]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_the_kernel_s_choice_on_a_low_range_is_never_handed_out_twice_either() -> None:
    """Where the ephemeral range starts too low to pick below it, free_port takes bind(0)'s port;
    the promise not to hand a port out twice holds there too."""
    ports = [_kernel_choice("127.0.0.1") for _ in range(50)] + [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)


async def test_a_dev_server_that_cannot_bind_its_port_says_so(tmp_path: Path) -> None:
    """The failure CI met once (exit 1 at start; its log was not kept), as when something takes
    the port between its choice and the server's start: the error carries the end of the log."""
    server = TemporalDevServer(var_dir=tmp_path / "var", port=free_port(), ui_port=free_port())
    await server.claim()  # the ports were free here
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", server.port))  # bound, not listening: connecting is refused
        try:
            with pytest.raises(RuntimeError) as failed:
                await server.start()
        finally:
            await server.stop()
    message = str(failed.value)
    assert "exited (1)" in message
    assert f"{server.port}: bind: address already in use" in message, message
