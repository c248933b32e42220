#!/usr/bin/python3
"""Independent WebSocket echo peer built on Python "websockets" (Debian python3-websockets, 10.x API).

Usage: /usr/bin/python3 py-echo-server.py <port>   (0 = any free port)
Prints "LISTENING <port>" when ready and "CLOSED <code> <reason>" per closed connection.
Echoes every message with its type, except these text commands:
  close:<code>:<reason>  -> server initiates a close with that code/reason
  fragmented:<text>      -> server sends <text> back as a 3-fragment text message
  ping:<payload>         -> server pings with <payload>; when the pong arrives sends text "pong:<payload>"
"""
import asyncio
import signal
import sys

import websockets


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def split_in_three(text):
    n = len(text)  # Python str indexes by code point, so no surrogate splitting
    a = (n + 2) // 3
    b = (2 * n + 2) // 3
    return [text[:a], text[a:b], text[b:]]


async def answer_pong(ws, payload, waiter):
    try:
        await waiter
        await ws.send("pong:" + payload)
    except (websockets.exceptions.ConnectionClosed, asyncio.CancelledError):
        pass


async def handler(ws, path=None):
    tasks = set()
    try:
        async for message in ws:
            if isinstance(message, str):
                if message.startswith("close:"):
                    rest = message[len("close:"):]
                    code_s, _, reason = rest.partition(":")
                    await ws.close(int(code_s), reason)
                    break
                if message.startswith("fragmented:"):
                    await ws.send(split_in_three(message[len("fragmented:"):]))
                    continue
                if message.startswith("ping:"):
                    payload = message[len("ping:"):]
                    waiter = await ws.ping(payload.encode("utf-8"))
                    t = asyncio.ensure_future(answer_pong(ws, payload, waiter))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                    continue
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    except Exception as e:  # keep serving other connections
        sys.stderr.write("handler error: %r\n" % (e,))
        sys.stderr.flush()
        try:
            await ws.close(1011, "server error")
        except Exception:
            ws.transport.abort()
    finally:
        try:
            await ws.wait_closed()
        except Exception:
            pass
        for t in list(tasks):
            t.cancel()
        out("CLOSED %s %s" % (ws.close_code, ws.close_reason or ""))


async def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: /usr/bin/python3 py-echo-server.py <port>\n")
        sys.exit(2)
    port = int(sys.argv[1])
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(
        handler,
        "127.0.0.1",
        port,
        max_size=64 * 1024 * 1024,
        ping_interval=None,  # no unsolicited keepalive pings: keep the conversation deterministic
        close_timeout=5,
    ) as server:
        actual = server.sockets[0].getsockname()[1]
        out("LISTENING %d" % actual)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
