#!/usr/bin/env python3
"""Latency on the wire from a tcpdump capture of the gateway's port (stdlib only).

    python3 Benchmarks/load/wire_latency.py capture.pcap PORT

For every request (a client-to-gateway segment with data) it takes the time until the gateway's
next data segment on that connection, and reports the first request of each connection apart from
the others: a connection's first request also waits for the gateway to accept the connection.
"""
import struct
import sys


def main():
    path, port = sys.argv[1], int(sys.argv[2])
    pending, seen, first, later = {}, set(), [], []
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6  # nanosecond or microsecond pcap
        link = struct.unpack("<I", header[20:24])[0]
        offset = {1: 14, 113: 16, 276: 20}.get(link, 14)  # Ethernet (lo), Linux cooked v1/v2
        while True:
            record = f.read(16)
            if len(record) < 16:
                break
            sec, frac, length, _ = struct.unpack("<IIII", record)
            packet = f.read(length)
            t = sec + frac * scale
            ip = packet[offset:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                continue
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            tcp = ip[ihl:]
            source, destination = struct.unpack(">HH", tcp[:4])
            data = total - ihl - (tcp[12] >> 4) * 4
            if data <= 0:
                continue
            if destination == port:
                pending[source] = t
            elif source == port and destination in pending:
                latency = (t - pending.pop(destination)) * 1000
                (later if destination in seen else first).append(latency)
                seen.add(destination)
    for name, values in (("first request of a connection", first), ("requests on open connections", later)):
        if not values:
            continue
        values.sort()
        n = len(values)
        print(f"    on the wire, {name}: {n} requests, p50 {values[n // 2]:.1f} ms, "
              f"p99 {values[min(n - 1, int(n * 0.99))]:.1f} ms, max {values[-1]:.1f} ms")


if __name__ == "__main__":
    main()
