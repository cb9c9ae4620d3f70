"""A TCP proxy in front of the moto server that can start hanging: it keeps accepting
connections but never answers, like an endpoint behind a dead load balancer."""

from __future__ import annotations

import socket
import threading


class HangingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hung = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        """From now on accept and say nothing; drop the connections already piped."""
        self.hung = True
        for s in self._open:
            s.close()

    def close(self) -> None:
        self._listener.close()
        for s in self._open:
            s.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._open.append(client)
            if self.hung:
                continue  # held open, never read, never answered
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._open.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass
