#!/usr/bin/env python3
"""stall_proxy.py - a TCP proxy that stops answering, for the MySQL timeout tests.

Usage:
    stall_proxy.py PORT_FILE --silent
    stall_proxy.py PORT_FILE UPSTREAM_HOST UPSTREAM_PORT STALL_AFTER_BYTES

Listens on 127.0.0.1 on a free port, written to PORT_FILE once listening. --silent:
accepts every connection and never sends a byte (a server that hangs before its
greeting). Otherwise each connection is forwarded both ways to UPSTREAM, except that the
first connection to pass STALL_AFTER_BYTES from the server to the client stops there
(nothing more forwarded either way, the sockets left open: a network that went silent
mid-result); later connections are forwarded in full. Runs until killed.
"""

import os
import socket
import sys
import threading

stalled = threading.Event()  # set once one connection has stalled


def pump(src, dst, count_from_server, state):
    """Copy src to dst until EOF; a server-to-client pump may stall its connection."""
    try:
        while not state["stall"]:
            data = src.recv(65536)
            if not data:
                break
            if count_from_server:
                state["bytes"] += len(data)
                if state["bytes"] > state["limit"] and not stalled.is_set():
                    stalled.set()
                    state["stall"] = True
                    break
            dst.sendall(data)
    except OSError:
        pass
    if not state["stall"]:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, upstream, limit):
    if upstream is None:  # --silent: hold the connection, say nothing
        held.append(client)
        return
    server = socket.create_connection(upstream)
    state = {"bytes": 0, "limit": limit, "stall": False}
    held.extend([client, server])
    threading.Thread(target=pump, args=(client, server, False, state), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, True, state), daemon=True).start()


held = []


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--silent":
        upstream, limit = None, 0
    elif len(sys.argv) == 5:
        upstream, limit = (sys.argv[2], int(sys.argv[3])), int(sys.argv[4])
    else:
        sys.exit(__doc__)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    with open(sys.argv[1] + ".part", "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(sys.argv[1] + ".part", sys.argv[1])
    while True:
        client, _ = lsock.accept()
        serve(client, upstream, limit)


if __name__ == "__main__":
    main()
