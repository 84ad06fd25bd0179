#!/usr/bin/env python3
"""A minimal OpenAI-compatible chat-completions server for load tests (stdlib only).

    python3 Benchmarks/load/mock_llm.py --port 8801 --delay-ms 100      # answers after 100 ms
    python3 Benchmarks/load/mock_llm.py --port 8801 --hang              # accepts, never answers
    python3 Benchmarks/load/mock_llm.py --port 8801 --rules             # answers from the lead's facts (see below)

Every POST gets a well-formed completion whose content is {"multiplier": 1.05, "reasoning": ...}.
HTTP/1.1 keep-alive; asyncio, so thousands of delayed answers can be pending at once.
"""
import argparse
import asyncio
import collections
import json
import socket
import time

BODY = json.dumps({
    "id": "chatcmpl-mock", "object": "chat.completion", "model": "mock",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant",
                             "content": json.dumps({"multiplier": 1.05, "reasoning": "Mock upstream."})}}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
}).encode()


def rules_answer(request_body: bytes) -> bytes:
    """A stand-in reviewer for `leadgate prompts eval` demos: +15% when the facts say the buyer is
    pre-approved and asked for a tour, -10% when the last activity is over 60 days old, else 1.0.
    (It re-counts what the model already knows; an evaluation shows whether that helps.)"""
    try:
        messages = json.loads(request_body)["messages"]
        user = messages[-1]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        user = ""
    facts = dict(line[2:].split(": ", 1) for line in user.splitlines() if line.startswith("- ") and ": " in line)
    multiplier, why = 1.0, "Nothing beyond the model's numbers."
    if facts.get("Mortgage pre-approval") == "yes" and facts.get("Tour requested") == "yes":
        multiplier, why = 1.15, "Pre-approved and asked for a tour."
    else:
        try:
            if float(facts.get("Days since last activity", "0")) > 60:
                multiplier, why = 0.9, "No activity for two months."
        except ValueError:
            pass
    content = json.dumps({"multiplier": multiplier, "reasoning": why})
    return json.dumps({
        "id": "chatcmpl-rules", "object": "chat.completion", "model": "rules",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": 20, "total_tokens": len(user) // 4 + 20},
    }).encode()


async def handle(reader, writer, delay, rules=False):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            request_body = await reader.readexactly(length) if length else b""
            if delay:
                await asyncio.sleep(delay)
            body = rules_answer(request_body) if rules else BODY
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def hang_forever(port):
    """Accepts every connection and never reads or answers: the kernel buffers the request.

    A plain accept loop costs the shared CPU almost nothing, as a hung upstream on another machine
    would; the asyncio path spent tens of milliseconds per burst of 200 connections on this machine's
    two cores, time the gateway under test then lacked. A connection is closed
    after 5 s, long after the gateway gave up on it.
    """
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    held = collections.deque()
    while True:
        conn, _ = listener.accept()
        now = time.monotonic()
        held.append((now, conn))
        while held and now - held[0][0] > 5:
            held.popleft()[1].close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--rules", action="store_true")
    a = ap.parse_args()
    if a.hang:
        hang_forever(a.port)
        return
    server = await asyncio.start_server(lambda r, w: handle(r, w, a.delay_ms / 1000, a.rules), "127.0.0.1", a.port,
                                        backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
