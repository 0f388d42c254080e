"""A quick check of one class session on a running server: N students join and open their event
streams, the teacher asks a question, then every student answers (C requests in flight).
Prints the question's delivery time to every stream (p50/p95/max), the answer POSTs' latency
and whether the results count exactly the acknowledged answers. The full classroom benchmark
(two servers on one PostgreSQL, rounds spread over time, CPU per phase) is bench/sessions_load.py.

    CONVLAB_SESSION_JOINS_PER_MINUTE=10000 convlab serve --port 8103 --workers 2 &
    python bench/sessions_quick.py http://127.0.0.1:8103 300 http://127.0.0.1:8103 10

Arguments: student server, students, teacher server, answers in flight.
"""

import asyncio
import sys
import time

import httpx

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8103"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
TEACHER_BASE = sys.argv[3] if len(sys.argv) > 3 else BASE


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def main():
    limits = httpx.Limits(max_connections=N + 50, max_keepalive_connections=N + 50)
    async with (
        httpx.AsyncClient(base_url=BASE, limits=limits, timeout=60) as c,
        httpx.AsyncClient(base_url=TEACHER_BASE, timeout=60) as tc,
    ):
        r = await tc.post("/api/sessions")
        code = r.json()["code"]
        T = {"Authorization": "Bearer " + r.json()["teacher_token"]}
        tokens = []
        for i in range(N):
            r = await c.post(f"/api/sessions/{code}/join", json={"nickname": f"s{i}"})
            c.cookies.clear()
            tokens.append(r.json()["participant_token"])
        got = {}
        ready = asyncio.Event()
        connected = 0

        async def student(i, tok):
            nonlocal connected
            async with c.stream(
                "GET", f"/api/sessions/{code}/events", headers={"Authorization": "Bearer " + tok}
            ) as resp:
                connected += 1
                if connected == N:
                    ready.set()
                kind = None
                async for line in resp.aiter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "question":
                        got[i] = time.monotonic()
                        return

        tasks = [asyncio.create_task(student(i, t)) for i, t in enumerate(tokens)]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(1.0)  # let every stream send its (empty) snapshot
        t0 = time.monotonic()
        r = await tc.post(
            f"/api/sessions/{code}/questions",
            json={"exercise": "output-size", "seed": 1},
            headers=T,
        )
        t_ask = time.monotonic() - t0
        q = r.json()["id"]
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        lat = [got[i] - t0 for i in range(N)]
        print(
            f"question to {N} streams: p50 {pct(lat, 50) * 1000:.0f} ms, "
            f"p95 {pct(lat, 95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms "
            f"(ask POST {t_ask * 1000:.0f} ms)"
        )
        C = int(sys.argv[4]) if len(sys.argv) > 4 else 10
        sem = asyncio.Semaphore(C)
        durations = []
        acked = 0

        async def answer(i, tok):
            nonlocal acked
            async with sem:
                s = time.monotonic()
                r = await c.post(
                    f"/api/sessions/{code}/questions/{q}/answers",
                    json={"answer": "5" if i % 3 else "4"},
                    headers={"Authorization": "Bearer " + tok},
                )
                durations.append(time.monotonic() - s)
                if r.status_code == 200:
                    acked += 1
                else:
                    print(r.status_code, r.text)

        s0 = time.monotonic()
        await asyncio.gather(*(answer(i, t) for i, t in enumerate(tokens)))
        print(
            f"{N} answers ({C} in flight): p50 {pct(durations, 50) * 1000:.0f} ms, "
            f"p95 {pct(durations, 95) * 1000:.0f} ms, total {time.monotonic() - s0:.2f} s"
        )
        r = await tc.get(f"/api/sessions/{code}/questions/{q}/results", headers=T)
        print("acknowledged", acked, "results answered", r.json()["rounds"][0]["answered"])
        await tc.delete(f"/api/sessions/{code}", headers=T)


asyncio.run(main())
