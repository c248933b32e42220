#!/usr/bin/python3
"""Independent WebSocket interop client built on Python "websockets" (Debian python3-websockets, 10.x API).

Usage: /usr/bin/python3 py-client.py <url> [--only <case>] [--subprotocol <name>]... [--header <name>:<value>]... [--ca <pem file>]
--ca: for a wss:// url, trust the CA certificates of that PEM file (instead of the system's store).
Talks to an echo server implementing the command protocol of py-echo-server.py.
The door case (handshake) runs only when named with --only: it needs a server set up for it. It offers
the --subprotocol names (most preferred first) and sends the --header fields.
Prints "PASS <case>" / "FAIL <case>: <why>" per case and "DONE passed=<n> failed=<m>"; exit 0 iff all passed.
"""
import asyncio
import os
import ssl
import sys

import websockets

CASE_TIMEOUT = 10.0


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# wss://: an SSL context that trusts only --ca's certificates (set by main); None: websockets' default.
SSL_CONTEXT = None


async def connect(url, subprotocols=None, headers=()):
    extra = {"ssl": SSL_CONTEXT} if SSL_CONTEXT is not None and url.startswith("wss:") else {}
    return await websockets.connect(
        url,
        **extra,
        max_size=64 * 1024 * 1024,
        ping_interval=None,  # no unsolicited keepalive pings
        close_timeout=5,
        subprotocols=subprotocols,
        # the 10.x name; websockets 14 renamed it additional_headers (with its new client, which
        # this script does not use: see the module docstring)
        extra_headers=list(headers),
    )


def short(v):
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


async def expect_text(ws, expected):
    got = await ws.recv()
    if not isinstance(got, str):
        raise AssertionError("expected text, got binary (%d bytes)" % len(got))
    if got != expected:
        raise AssertionError("text mismatch: sent %s got %s" % (short(expected), short(got)))


async def echo_text(ws, text):
    await ws.send(text)
    await expect_text(ws, text)


async def echo_binary(ws, data):
    await ws.send(data)
    got = await ws.recv()
    if not isinstance(got, bytes):
        raise AssertionError("expected binary, got text (%d chars)" % len(got))
    if got != data:
        raise AssertionError("binary mismatch: sent %d bytes got %d bytes" % (len(data), len(got)))


def size_case(n):
    async def run(ws, url):
        await echo_binary(ws, os.urandom(n))
    return run


async def text_ascii(ws, url):
    await echo_text(ws, "Hello, WebSocket! 0123456789 ~!@#$%^&*()")


async def text_utf8(ws, url):
    await echo_text(ws, "Привет, мир! héllo ünïcödé 日本語 😀 emoji 🎉")


async def binary_256(ws, url):
    await echo_binary(ws, bytes(range(256)))


async def fragmented_send(ws, url):
    parts = ["frag-one ", "frag-two ", "Привет ", "😀 ", "frag-last"]
    await ws.send(parts)  # an iterable of str is sent as one fragmented text message
    await expect_text(ws, "".join(parts))


def json_text(n):
    # JSON-like ASCII text of exactly n characters: compressible, as the messages compression is for.
    parts, i = ["["], 0
    while sum(map(len, parts)) < n:
        parts.append('{"id":%d,"user":"name%d","tags":["a","b"],"ok":true},' % (i, i % 37))
        i += 1
    return "".join(parts)[:n]


async def compression(ws, url):
    # permessage-deflate (RFC 7692), websockets' default: agreed, then compressed text and binary
    # both ways, whole and fragmented (RSV1 on the first frame only).
    names = [e.name for e in ws.extensions]
    if "permessage-deflate" not in names:
        raise AssertionError("no permessage-deflate agreed (extensions %r)" % names)
    text = json_text(8192)
    await echo_text(ws, text)
    await echo_binary(ws, json_text(20000).encode("ascii"))
    await ws.send([text[:3000], text[3000:6000], text[6000:]])
    await expect_text(ws, text)
    await echo_text(ws, "small, sent uncompressed by a 1 KiB threshold")
    return "extensions=%r" % [repr(e) for e in ws.extensions]


async def fragmented_receive(ws, url):
    await ws.send("fragmented:hello fragmented world")
    await expect_text(ws, "hello fragmented world")


async def ping_pong(ws, url):
    payload = b"ping-payload-" + os.urandom(4).hex().encode()
    waiter = await ws.ping(payload)
    # websockets resolves the waiter only when a pong carrying this exact payload arrives
    await waiter


async def server_ping(ws, url):
    await ws.send("ping:abc123")
    await expect_text(ws, "pong:abc123")


async def close_by_client(ws, url):
    await ws.close(4000, "bye-client")
    code, reason = ws.close_code, ws.close_reason  # as received in the server's close frame
    if code != 4000:
        raise AssertionError("server replied with close code %s reason %r, expected 4000" % (code, reason))
    return "observed %s '%s'" % (code, reason)


async def close_by_server(_ws, url):
    ws2 = await connect(url)
    try:
        await ws2.send("close:4001:bye-server")
        try:
            msg = await ws2.recv()
            raise AssertionError("unexpected message instead of close: %s" % short(msg))
        except websockets.exceptions.ConnectionClosed:
            pass
        await ws2.wait_closed()
        code, reason = ws2.close_code, ws2.close_reason
        if code != 4001 or reason != "bye-server":
            raise AssertionError("observed close code %s reason %r, expected 4001 'bye-server'" % (code, reason))
        return "observed %s '%s'" % (code, reason)
    finally:
        abort(ws2)


CASES = [
    ("text-ascii", text_ascii, False),
    ("text-utf8", text_utf8, False),
    ("binary-256", binary_256, False),
    ("size-0", size_case(0), False),
    ("size-125", size_case(125), False),
    ("size-126", size_case(126), False),
    ("size-65535", size_case(65535), False),
    ("size-65536", size_case(65536), False),
    ("size-1MiB", size_case(1024 * 1024), False),
    ("fragmented-send", fragmented_send, False),
    ("fragmented-receive", fragmented_receive, False),
    ("compression", compression, False),
    ("ping-pong", ping_pong, False),
    ("server-ping", server_ping, False),
    ("close-by-client", close_by_client, False),
    ("close-by-server", close_by_server, True),
]


# The application's door (RFC 6455 §4.1, §4.2.2): the subprotocol the server chose.
OFFERED = []
HEADERS = []


async def handshake(_ws, url):
    ws2 = await connect(url, subprotocols=OFFERED or None, headers=HEADERS)
    try:
        await echo_text(ws2, "through the door")
        return "subprotocol='%s'" % (ws2.subprotocol or "")
    finally:
        abort(ws2)


DOOR_CASES = [
    ("handshake", handshake, True),
]


def abort(ws):
    if ws is not None and ws.transport is not None:
        ws.transport.abort()


async def main():
    global SSL_CONTEXT
    argv = sys.argv[1:]
    url, only = None, None
    i = 0
    while i < len(argv):
        if argv[i] == "--ca" and i + 1 < len(argv):
            SSL_CONTEXT = ssl.create_default_context(cafile=argv[i + 1])
            i += 2
            continue
        if argv[i] == "--only" and i + 1 < len(argv):
            only = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--subprotocol" and i + 1 < len(argv):
            OFFERED.append(argv[i + 1])
            i += 2
            continue
        if argv[i] == "--header" and i + 1 < len(argv):
            name, _, value = argv[i + 1].partition(":")
            HEADERS.append((name, value.strip()))
            i += 2
            continue
        if url is None:
            url = argv[i]
        i += 1
    if url is None:
        sys.stderr.write("usage: /usr/bin/python3 py-client.py <url> [--only <case>]"
                         " [--subprotocol <name>]... [--header <name>:<value>]... [--ca <pem file>]\n")
        return 2
    known = CASES + DOOR_CASES
    selected = CASES if only is None else [c for c in known if c[0] == only]
    if not selected:
        sys.stderr.write("unknown case %r; known: %s\n" % (only, ", ".join(c[0] for c in known)))
        return 2

    passed = failed = 0
    ws = None
    for name, fn, own_connection in selected:
        async def run():
            nonlocal ws
            if not own_connection and (ws is None or ws.closed):
                ws = await connect(url)
            return await fn(ws, url)
        try:
            note = await asyncio.wait_for(run(), CASE_TIMEOUT)
            passed += 1
            out("PASS %s (%s)" % (name, note) if note else "PASS %s" % name)
        except asyncio.TimeoutError:
            failed += 1
            out("FAIL %s: timeout after %d s" % (name, CASE_TIMEOUT))
            abort(ws)
            ws = None
        except Exception as e:  # noqa: BLE001 - report any failure as FAIL
            failed += 1
            out("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            abort(ws)
            ws = None
    abort(ws)
    out("DONE passed=%d failed=%d" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
