"""Benchmark the breached-password corpus: import rate, bytes per hash, in-process checks, and
the HIBP range API over HTTP on 2 uvicorn workers.

    python bench/bench_guard_passwords.py                    # 2M hashes (what `make bench` runs)
    python bench/bench_guard_passwords.py --hashes 100000000 # the full-size run (about 10 min)
    SW_BENCH_PW_HASHES=10000000 python bench/bench_guard_passwords.py

The synthetic corpus is ``--hashes`` uniformly random SHA-1 digests written as one HIBP
``--single`` file (``FULLHASH:COUNT``, CRLF), with counts ``floor(1/U)`` for U uniform in (0, 1]:
P(count >= k) = 1/k, so half the hashes have count 1 and 0.4% have 257 or more (a heavy tail
like breach data; the bytes per hash depend on it, see docs/guard.md).

In-process checks are single-threaded ``count_digest``/``count`` calls on one core, 5 runs of
200,000 lookups each (hits: members; misses: random digests), median reported. HTTP runs use
``wrk`` (Debian package) when installed, else a Python client in a separate process; client and
server share this machine's 2 cores, so the figure is a lower bound for a dedicated server.
Results: a table on stdout and ``bench/out/guard_passwords.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from shieldwall.guard.passwords.corpus import BreachedCorpus
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat

OUT = Path(__file__).resolve().parent / "out" / "guard_passwords.json"
HEX = np.frombuffer(b"0123456789ABCDEF", np.uint8)
RUNS = 5
LOOKUPS = 200_000


def synth_counts(rng: np.random.Generator, n: int) -> np.ndarray:
    u = 1.0 - rng.random(n)  # (0, 1]
    return np.minimum(np.floor(1.0 / u), 2**62).astype(np.uint64)


def write_corpus(path: Path, n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Write ``n`` random HASH:COUNT lines; return a sample of (digests, counts) for lookups."""
    rng = np.random.default_rng(seed)
    sample_d, sample_c = [], []
    with path.open("wb") as fh:
        done = 0
        while done < n:
            m = min(1_000_000, n - done)
            digests = rng.integers(0, 256, size=(m, 20), dtype=np.uint8)
            counts = synth_counts(rng, m)
            width = 40 + 1 + 20 + 2
            buf = np.zeros((m, width), dtype=np.uint8)
            buf[:, 0:40:2] = HEX[digests >> 4]
            buf[:, 1:40:2] = HEX[digests & 0x0F]
            buf[:, 40] = ord(":")
            digits = np.floor(np.log10(counts.astype(np.float64))).astype(np.int64) + 1
            value = counts.copy()
            for j in range(20):
                pos = 40 + digits - j  # last digit first
                live = j < digits
                rows = np.flatnonzero(live)
                buf[rows, pos[live]] = (value[live] % 10).astype(np.uint8) + ord("0")
                value //= 10
            ends = 41 + digits
            buf[np.arange(m), ends] = ord("\r")
            buf[np.arange(m), ends + 1] = ord("\n")
            fh.write(buf[buf != 0].tobytes())
            sample_d.append(digests[:20_000])
            sample_c.append(counts[:20_000])
            done += m
    return np.concatenate(sample_d), np.concatenate(sample_c)


def timed_lookups(fn: Any, keys: list[Any]) -> float:
    rates = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for k in keys:
            fn(k)
        rates.append(len(keys) / (time.perf_counter() - start))
    return statistics.median(rates)


def bench_inprocess(root: Path, members: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    corpus = BreachedCorpus(root, HashKind.SHA1)
    rng = random.Random(3)
    hits = [members[rng.randrange(len(members))].tobytes() for _ in range(LOOKUPS)]
    misses = [rng.randbytes(20) for _ in range(LOOKUPS)]
    for i in range(0, len(members), 97):  # every sampled member answers its exact count
        if corpus.count_digest(members[i].tobytes()) != int(counts[i]):
            raise SystemExit(f"wrong count for sampled member {i}")
    if sum(corpus.count_digest(m) for m in misses[:50_000]):
        raise SystemExit("a random non-member was found")
    for d in hits + misses:  # open (and verify) every shard before timing
        corpus.count_digest(d)
    out = {
        "hit_checks_per_s": timed_lookups(corpus.count_digest, hits),
        "miss_checks_per_s": timed_lookups(corpus.count_digest, misses),
        "hex_hit_checks_per_s": timed_lookups(corpus.count, [h.hex().upper() for h in hits]),
    }
    out.update(bench_fuse(corpus, members, misses))
    corpus.close()
    return out


def bench_fuse(corpus: BreachedCorpus, members: np.ndarray, misses: list[bytes]) -> dict[str, Any]:
    """Does a binary fuse filter (pyfusefilter.Fuse8) in front of the corpus speed up misses?"""
    try:
        import pyfusefilter
    except ImportError:
        return {"fuse8": "pyfusefilter not installed"}
    keys = [int.from_bytes(m[:8].tobytes(), "big") for m in members]
    filt = pyfusefilter.Fuse8(len(keys))
    try:
        filt.populate(keys)
    except TypeError as exc:  # pyfusefilter 1.3.0 hashes str(item), which xxhash >= 4 refuses
        return {"fuse8": f"pyfusefilter failed: {exc}"}

    def filtered(d: bytes) -> int:
        return corpus.count_digest(d) if filt.contains(int.from_bytes(d[:8], "big")) else 0

    return {
        "fuse8_filter_only_per_s": timed_lookups(
            lambda d: filt.contains(int.from_bytes(d[:8], "big")), misses
        ),
        "fuse8_then_corpus_miss_per_s": timed_lookups(filtered, misses),
        "fuse8_note": f"filter over a {len(keys):,}-key sample (pyfusefilter takes a list)",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WRK_LUA = """
math.randomseed(os.time())
request = function()
  return wrk.format("GET", string.format("/v1/pwnedpasswords/range/%05X", math.random(0, 1048575)))
end
"""


def bench_http(home: Path, seconds: int) -> dict[str, Any]:
    from shieldwall.config import load_settings
    from shieldwall.wiring import build, initialize

    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    _, key = svc.custody.principals.add("bench-app", "service", unit="bench")
    svc.close()
    port = free_port()
    env = {**os.environ, "SHIELDWALL_HOME": str(home)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "shieldwall.api.server:app_from_env",
            "--factory",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        import httpx

        while time.time() < deadline:
            try:
                r = httpx.get(
                    f"{base}/v1/pwnedpasswords/range/5BAA6", headers={"hibp-api-key": key}
                )
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        results: dict[str, Any] = {}
        for padded in (False, True):
            rates = [run_load(base, key, padded, seconds) for _ in range(3)]
            results["padded" if padded else "unpadded"] = {
                "req_per_s_median": statistics.median(rates),
                "runs": rates,
            }
        results["client"] = "wrk -t2 -c64" if shutil.which("wrk") else "python httpx, 2 processes"
        return results
    finally:
        server.terminate()
        server.wait(30)


def run_load(base: str, key: str, padded: bool, seconds: int) -> float:
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(WRK_LUA)
        cmd = ["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", fh.name, "-H", f"hibp-api-key: {key}"]
        if padded:
            cmd += ["-H", "Add-Padding: true"]
        out = subprocess.run([*cmd, base], capture_output=True, text=True, check=True).stdout
        Path(fh.name).unlink()
        line = next(x for x in out.splitlines() if x.startswith("Requests/sec:"))
        if "Non-2xx" in out:
            raise RuntimeError(f"wrk saw errors:\n{out}")
        return float(line.split()[1])
    code = (
        "import httpx,random,sys,time\n"
        "base,key,pad,secs=sys.argv[1],sys.argv[2],sys.argv[3]=='1',float(sys.argv[4])\n"
        "h={'hibp-api-key':key}\n"
        "if pad: h['Add-Padding']='true'\n"
        "n=0;end=time.time()+secs\n"
        "with httpx.Client(base_url=base,headers=h) as c:\n"
        "  while time.time()<end:\n"
        "    r=c.get('/v1/pwnedpasswords/range/%05X'%random.randrange(1<<20))\n"
        "    assert r.status_code==200\n"
        "    n+=1\n"
        "print(n)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, base, key, "1" if padded else "0", str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    return sum(int(p.communicate()[0]) for p in procs) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--hashes", type=int, default=int(os.environ.get("SW_BENCH_PW_HASHES", "2000000"))
    )
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sw-bench-pw-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    root = home / "passwords"
    results: dict[str, Any] = {"hashes": args.hashes}
    try:
        t0 = time.perf_counter()
        members, counts = write_corpus(work / "pwned-passwords-sha1.txt", args.hashes)
        results["generate_s"] = time.perf_counter() - t0
        results["source_bytes"] = (work / "pwned-passwords-sha1.txt").stat().st_size
        report = CorpusImporter(root, HashKind.SHA1, fsync=True).run(
            [(work / "pwned-passwords-sha1.txt", SourceFormat.HIBP)], MergeMode.REPLACE
        )
        (work / "pwned-passwords-sha1.txt").unlink()
        st = BreachedCorpus(root, HashKind.SHA1).stats()
        results["import"] = {
            "seconds": report.seconds,
            "lines_per_s": report.lines / report.seconds,
            "hashes": st.hashes,
            "bytes_on_disk": st.bytes_on_disk,
            "bytes_per_hash": st.bytes_per_hash,
            "share_count_ge_2": float(np.mean(counts >= 2)),
            "share_count_ge_257": float(np.mean(counts >= 257)),
        }
        results["in_process"] = bench_inprocess(root, members, counts)
        if not args.no_http:
            results["http_2_workers"] = bench_http(home, args.http_seconds)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    imp, ip = results["import"], results["in_process"]
    print(f"corpus                 {results['hashes']:>14,} synthetic SHA-1 hashes")
    print(f"import                 {imp['lines_per_s']:>14,.0f} lines/s ({imp['seconds']:.1f} s)")
    print(f"storage                {imp['bytes_per_hash']:>14.3f} bytes/hash on disk")
    print(
        f"check, member          {ip['hit_checks_per_s']:>14,.0f} /s (one core, median of {RUNS})"
    )
    print(f"check, non-member      {ip['miss_checks_per_s']:>14,.0f} /s")
    print(f"check from hex string  {ip['hex_hit_checks_per_s']:>14,.0f} /s")
    if "fuse8_then_corpus_miss_per_s" in ip:
        print(f"fuse8 then corpus, miss{ip['fuse8_then_corpus_miss_per_s']:>14,.0f} /s")
    if "http_2_workers" in results:
        h = results["http_2_workers"]
        rate = h["unpadded"]["req_per_s_median"]
        print(f"range API, 2 workers   {rate:>14,.0f} req/s ({h['client']})")
        print(f"  with Add-Padding     {h['padded']['req_per_s_median']:>14,.0f} req/s")
    print(f"written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
