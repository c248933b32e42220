#!/usr/bin/python3
"""Opens <count> WebSocket connections (Python "websockets") and holds them idle: the other process of
a measurement of a server's memory per idle connection (tests/ActorWs.Hardening.Tests/TlsLoadTests.cs).

Usage: /usr/bin/python3 py-idle-clients.py <url> <count> [--ca <pem file>]
--ca: for a wss:// url, trust the CA certificates of that PEM file.
Prints "OPEN <n>" once all are open, then waits for a line (or end of input) on stdin, closes every
connection with 1000, and prints "DONE <n>". Any failure: "FAIL <why>" and exit code 1.
"""
import asyncio
import ssl
import sys

import websockets


async def main():
    argv = sys.argv[1:]
    if len(argv) < 2:
        sys.stderr.write("usage: /usr/bin/python3 py-idle-clients.py <url> <count> [--ca <pem file>]\n")
        return 2
    url, count = argv[0], int(argv[1])
    extra = {}
    if "--ca" in argv:
        extra["ssl"] = ssl.create_default_context(cafile=argv[argv.index("--ca") + 1])
    gate = asyncio.Semaphore(50)  # handshakes at once: the server's backlog is not what is measured

    async def one():
        async with gate:
            return await websockets.connect(url, ping_interval=None, close_timeout=30, open_timeout=120, **extra)

    try:
        conns = await asyncio.gather(*(one() for _ in range(count)))
    except Exception as e:  # noqa: BLE001
        print("FAIL %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    print("OPEN %d" % len(conns), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(c.close() for c in conns))
    print("DONE %d" % len(conns), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
