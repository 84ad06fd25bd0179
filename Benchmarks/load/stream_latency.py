#!/usr/bin/env python3
"""How long a score change takes to reach a score stream (SSE).

Opens GET /v1/leads/<lead>/score/stream on --stream (a gateway), then sends --count events to
--post (the same gateway, or another one on the same Redis) that flip the lead's pre-approval, so
every event changes the score. For each event it measures the time from sending the POST to the
arrival of the stream's `event: score` carrying the new score. Prints p50/p90/p99/max in ms.
"""
import argparse
import http.client
import json
import queue
import socket
import statistics
import threading
import time
from urllib.parse import urlparse


def reader(sock, out):
    buffer = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        buffer += chunk
        while b"\n\n" in buffer:
            message, buffer = buffer.split(b"\n\n", 1)
            lines = message.decode().split("\n")
            if "event: score" not in lines:
                continue
            for line in lines:
                if line.startswith("data: "):
                    out.put((time.perf_counter(), json.loads(line[6:])))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--stream", required=True)
    p.add_argument("--post", required=True)
    p.add_argument("--lead", default="STREAM-1")
    p.add_argument("--count", type=int, default=200)
    a = p.parse_args()
    s = urlparse(a.stream)
    sock = socket.create_connection((s.hostname, s.port))
    sock.sendall(f"GET /v1/leads/{a.lead}/score/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
    arrivals = queue.Queue()
    threading.Thread(target=reader, args=(sock, arrivals), daemon=True).start()
    time.sleep(0.5)
    while not arrivals.empty():
        arrivals.get()
    t = urlparse(a.post)
    conn = http.client.HTTPConnection(t.hostname, t.port)
    latencies = []
    missed = 0
    for i in range(a.count):
        body = json.dumps({"events": [{"event_id": f"lat-{time.time_ns()}-{i}", "type": "preapproval",
                                       "properties": {"approved": i % 2 == 0}}], "options": {"rerank": False}})
        start = time.perf_counter()
        conn.request("POST", f"/v1/leads/{a.lead}/events", body, {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        try:
            while True:
                arrived, data = arrivals.get(timeout=2)
                if data.get("score") == answer.get("score") and data.get("badge") == answer.get("badge"):
                    latencies.append((arrived - start) * 1000)
                    break
        except queue.Empty:
            missed += 1
        time.sleep(0.01)
    latencies.sort()
    q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))]
    print(f"{len(latencies)} changes, {missed} missed: p50 {q(0.5):.2f} ms, p90 {q(0.9):.2f} ms, p99 {q(0.99):.2f} ms, "
          f"max {latencies[-1]:.2f} ms (from sending the event to the stream's message)")


if __name__ == "__main__":
    main()
