#!/usr/bin/env python3
"""The peer's Redis client (redis.asyncio, as the FastAPI stack uses it) on the same operations as
`leadgate store-bench`: one MGET of N cached answers, and single reads one after another.

    python3 Benchmarks/load/peer_store.py --redis redis://127.0.0.1:6379/0 --keys 10000
"""
import argparse
import asyncio
import time
import uuid


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", required=True)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    import redis.asyncio as aioredis
    r = aioredis.from_url(a.redis)
    prefix = f"peer-bench-{uuid.uuid4().hex[:8]}:"
    payload = '{"multiplier":1.05,"reasoning":"Pre-approved buyer, tour booked for Saturday.","llm_model":"gpt-4o-mini","prompt_hash":"0f3c","cached_at":"2026-11-23T00:00:00.000Z"}'
    keys = [f"{prefix}adj:v1:{i:064x}" for i in range(a.keys)]
    live = [f"{prefix}live:bench-{i}" for i in range(a.keys)]
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, payload, ex=600)
    for k in live:
        pipe.set(k, "x" * 2000, ex=600)
    await pipe.execute()
    batch = []
    for _ in range(a.repeat):
        start = time.perf_counter()
        values = await r.mget(keys)
        batch.append((time.perf_counter() - start) * 1000)
        assert sum(v is not None for v in values) == a.keys
    single = []
    for k in live[:2000]:
        start = time.perf_counter()
        await r.get(k)
        single.append((time.perf_counter() - start) * 1000)
    batch.sort()
    single.sort()
    print(f"peer (redis.asyncio {__import__('redis').__version__}), {a.keys} keys")
    print(f"batch lookup of {a.keys} cached answers (one MGET): median {batch[len(batch) // 2]:.2f} ms, min {batch[0]:.2f} ms")
    print(f"live-score read, one at a time ({len(single)} reads): p50 {single[len(single) // 2]:.3f} ms, "
          f"p99 {single[min(len(single) - 1, len(single) * 99 // 100)]:.3f} ms")
    for i in range(0, len(keys), 1000):
        await r.delete(*keys[i:i + 1000], *live[i:i + 1000])
    await r.aclose()


if __name__ == "__main__":
    asyncio.run(main())
