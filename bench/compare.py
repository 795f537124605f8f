#!/usr/bin/env python3
"""Same-run ratios of rtwire's benchmarks to their peers and limits (issue #14).

Every figure rtwire claims is a ratio taken in one run of one binary (DESIGN.md §4): the
machine's speed drifts, a ratio does not (much). This script runs each benchmark program once
(or reads the JSON it wrote) and prints those ratios, with the goal where there is one.

  bench/compare.py                                   # runs build/bench/bench/rtwire_bench_*
  bench/compare.py --bin-dir DIR --repetitions 3     # medians of 3 repetitions
  bench/compare.py --json-dir DIR                    # reads DIR/rtwire_bench_<topic>.json
  bench/compare.py --markdown                        # README's performance section
  bench/compare.py --save-json DIR                   # also keep each program's JSON in DIR
  bench/compare.py --check                           # exit 1 when a goal is missed

The JSON is Google Benchmark's --benchmark_format=json (or --benchmark_out). A ratio compares
bytes/s when both benchmarks report bytes, items/s when both report items, otherwise the
inverse CPU time per iteration; with repetitions, the median aggregate. A ratio whose
benchmarks are missing (a peer not installed) is reported as such. Python 3 standard library
only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

# (label, topic, numerator, denominator, goal or None). Ratio = speed(num) / speed(den).
RATIOS = [
    # Issue #14's table.
    ("server handshake, rtwire / Beast", "handshake",
     "rtwire_server_handshake", "beast_server_handshake", 12.0),
    ("SSE decode 4 KiB chunks / newline scan", "sse",
     "BM_sse_decode_4k_chunks", "BM_limit_newline_scan", 0.7),
    ("SSE encode / newline scan", "sse", "BM_sse_encode", "BM_limit_newline_scan", 0.5),
    ("SDP parse (Chrome offer), rtwire / sofia-sip", "sdp",
     "BM_rtwire_sdp_parse_view", "BM_sofia_sdp_parse", 20.0),
    ("SDP parse (Chrome offer) / memchr line splitter", "sdp",
     "BM_rtwire_sdp_parse_view", "BM_baseline_memchr_lines", 0.6),
    # Encode once, send to many (SSE): 10 000 recipients.
    ("SSE fan-out to 10 000 streams, 100 B, prepared / naive", "sse",
     "BM_sse_fanout_prepared/100", "BM_sse_fanout_naive/100", None),
    ("SSE fan-out to 10 000 streams, 4 KiB, prepared / naive", "sse",
     "BM_sse_fanout_prepared/4096", "BM_sse_fanout_naive/4096", None),
    # Encode once, send to many (WebSocket): 10 000 connections; deflate: server_no_context_takeover.
    ("WS fan-out to 10 000 connections, 100 B, prepared / naive", "ws_prepared",
     "BM_ws_fanout_prepared/100", "BM_ws_fanout_naive/100", None),
    ("WS fan-out to 10 000 connections, 4 KiB, prepared / naive", "ws_prepared",
     "BM_ws_fanout_prepared/4096", "BM_ws_fanout_naive/4096", None),
    ("WS deflate fan-out to 10 000 connections, 100 B, prepared / naive", "ws_prepared",
     "BM_ws_fanout_deflate_prepared/100", "BM_ws_fanout_deflate_naive/100", None),
    ("WS deflate fan-out to 10 000 connections, 4 KiB, prepared / naive", "ws_prepared",
     "BM_ws_fanout_deflate_prepared/4096", "BM_ws_fanout_deflate_naive/4096", None),
    # README's peer lines.
    ("server handshake, rtwire / websocketpp", "handshake",
     "rtwire_server_handshake", "websocketpp_server_handshake", None),
    ("Sec-WebSocket-Accept, rtwire / Beast", "accept_key", "accept_key_rtwire", "accept_key_beast", None),
    ("Sec-WebSocket-Accept, rtwire / websocketpp", "accept_key",
     "accept_key_rtwire", "accept_key_websocketpp", None),
    ("Sec-WebSocket-Accept, rtwire / OpenSSL", "accept_key",
     "accept_key_rtwire", "accept_key_openssl", None),
    ("HTTP head parse, rtwire / Beast", "http1", "rtwire_parse_request", "beast_parse_request", None),
    ("SSE decode 4 KiB chunks / memory read", "sse", "BM_sse_decode_4k_chunks", "BM_limit_read", None),
    ("SDP lenient parse, rtwire / sofia-sip", "sdp",
     "BM_rtwire_sdp_parse_lenient_view", "BM_sofia_sdp_parse", None),
    ("HMAC-SHA1, rtwire / OpenSSL (re-init)", "stun", "rtwire_hmac_sha1", "openssl_hmac_sha1_reinit", None),
    ("CRC-32, rtwire / zlib", "stun", "rtwire_crc32", "zlib_crc32", None),
]

# Families whose names carry sizes (utf8, ws_frames): every rtwire benchmark against the peer
# benchmark with the same prefix and suffix: (peer label, topic, rtwire regex, peer template).
UTF8 = r"^(?P<pre>utf8)/rtwire/dispatch(?P<suffix>/(?:ascii|korean|emoji)/1MiB)$"
WS = (r"^(?P<pre>ws/(?:decode_20B|decode_64KiB/binary|decode_64KiB/text|unmask))/rtwire"
      r"(?P<suffix>/(?:16KiB/|1MiB/)?real_time)$")
FAMILIES = [
    ("Beast", "utf8", UTF8, "{pre}/beast{suffix}"),
    ("read ceiling", "utf8", UTF8, "{pre}/ceiling_read_avx512{suffix}"),
    ("Beast", "ws_frames", WS, "{pre}/beast{suffix}"),
    ("wslay", "ws_frames", WS, "{pre}/wslay{suffix}"),
    ("websocketpp", "ws_frames", WS, "{pre}/websocketpp{suffix}"),
]


def run_binary(path, repetitions, min_time):
    cmd = [path, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if repetitions > 1:
        # Interleaved: the repetitions of all benchmarks run in random order, so a slow spell of
        # a shared machine falls on a ratio's numerator and denominator alike, not on one of them.
        cmd += [f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
                "--benchmark_enable_random_interleaving=true"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    return json.loads(out)


def load_results(args, topics):
    """topic -> {'context': ..., 'benchmarks': {name: entry}}; missing topics are absent."""
    results = {}
    for topic in sorted(topics):
        name = f"rtwire_bench_{topic}"
        data = None
        if args.json_dir:
            path = os.path.join(args.json_dir, name + ".json")
            if os.path.exists(path):
                with open(path) as f:
                    data = json.load(f)
        else:
            path = os.path.join(args.bin_dir, name)
            if os.access(path, os.X_OK):
                print(f"-- {name}", file=sys.stderr)
                data = run_binary(path, args.repetitions, args.min_time)
                if args.save_json:
                    os.makedirs(args.save_json, exist_ok=True)
                    with open(os.path.join(args.save_json, name + ".json"), "w") as f:
                        json.dump(data, f)
        if data is None:
            continue
        entries = {}
        for b in data.get("benchmarks", []):
            if b.get("error_occurred"):
                continue
            base = b.get("run_name", b["name"])
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") != "median":
                    continue
            elif base in entries:
                # Repetitions without aggregates: keep every run, the median is taken below.
                entries[base].append(b)
                continue
            entries.setdefault(base, []).append(b)
        results[topic] = {"context": data.get("context", {}), "benchmarks": {
            k: median_entry(v) for k, v in entries.items()}}
    return results


def median_entry(runs):
    medians = [r for r in runs if r.get("aggregate_name") == "median"]
    if medians:
        return medians[0]
    runs = sorted(runs, key=lambda r: r["cpu_time"])
    return runs[len(runs) // 2]


def speed_ratio(num, den):
    for key in ("bytes_per_second", "items_per_second"):
        if key in num and key in den and den[key] > 0:
            return num[key] / den[key]
    # Same work per iteration: the inverse time ratio (time units are the same per binary
    # only when both use the same unit; normalise to ns).
    return to_ns(den) / to_ns(num)


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def to_ns(entry):
    return entry["cpu_time"] * UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)


def compute(results):
    """[(label, ratio or None, goal, note)]"""
    rows = []
    for label, topic, num, den, goal in RATIOS:
        bench = results.get(topic, {}).get("benchmarks", {})
        if num in bench and den in bench:
            rows.append((label, speed_ratio(bench[num], bench[den]), goal, ""))
        else:
            missing = [n for n in (num, den) if n not in bench]
            rows.append((label, None, goal, "not measured: " + ", ".join(missing)))
    for peer_label, topic, pattern, peer in FAMILIES:
        bench = results.get(topic, {}).get("benchmarks", {})
        for name in sorted(bench):
            m = re.match(pattern, name)
            if not m:
                continue
            other = peer.format(**m.groupdict())
            if other in bench:
                what = (m["pre"] + m["suffix"]).replace("/real_time", "")
                rows.append((f"{what}, rtwire / {peer_label}",
                             speed_ratio(bench[name], bench[other]), None, ""))
    return rows


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        pass
    return model, os.cpu_count(), load


def print_text(rows):
    width = max(len(r[0]) for r in rows)
    for label, ratio, goal, note in rows:
        if ratio is None:
            print(f"{label:<{width}}  {'-':>8}  {note}")
            continue
        verdict = ""
        if goal is not None:
            verdict = f"  goal >= {goal:g}x: " + ("ok" if ratio >= goal else "BELOW")
        print(f"{label:<{width}}  {ratio:>7.2f}x{verdict}")


def print_markdown(rows, args, results):
    model, cores, load = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    # The run's own date and load (Google Benchmark's context) when reading saved JSON.
    contexts = [r["context"] for r in results.values() if r.get("context")]
    if contexts:
        dates = sorted(c["date"] for c in contexts if "date" in c)
        if dates:
            now = dates[0]
        loads = [c["load_avg"] for c in contexts if c.get("load_avg")]
        if loads:
            load = " ".join(f"{v:.2f}" for v in loads[0])
    how = f"medians of {args.repetitions} repetitions" if args.repetitions > 1 else "one repetition"
    print("## Performance\n")
    print("Generated by `bench/compare.py --markdown` from one run of each "
          "`build/bench/bench/rtwire_bench_*` (Release, default flags, no `-march`; "
          f"{how}, CPU time). Every figure is a **same-run ratio** of two benchmarks in one "
          "binary, so the machine's drift cancels out; speeds are bytes/s or items/s "
          "(higher is better for rtwire when the ratio is above 1).\n")
    print(f"Machine: {model}, {cores} cores; run at {now}, load average {load} (a shared VM: "
          "absolute speeds vary during the day and with the load, ratios much less).\n")
    print("| ratio (same run) | now | goal |")
    print("| --- | --- | --- |")
    for label, ratio, goal, note in rows:
        value = f"{ratio:.2f}×" if ratio is not None else f"— ({note})"
        goal_text = "" if goal is None else f"≥ {goal:g}×" + (
            "" if ratio is None else (" ✓" if ratio >= goal else " ✗"))
        print(f"| {label} | {value} | {goal_text} |")
    print()
    print("Reproduce: `cmake --workflow --preset bench && bench/compare.py --repetitions 3 "
          "--markdown`. End to end (servers and a load generator on pinned cores): "
          "`bench/e2e/run.sh`, see below.")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin-dir", default="build/bench/bench",
                   help="where rtwire_bench_* are (default %(default)s)")
    p.add_argument("--json-dir", help="read rtwire_bench_<topic>.json from here instead of running")
    p.add_argument("--repetitions", type=int, default=1, help="repetitions per benchmark (median)")
    p.add_argument("--min-time", default="0.5", help="--benchmark_min_time (default %(default)s)")
    p.add_argument("--save-json", help="write each program's JSON to this directory")
    p.add_argument("--markdown", action="store_true", help="print README's performance section")
    p.add_argument("--check", action="store_true", help="exit 1 when a measured goal is missed")
    args = p.parse_args()
    topics = {r[1] for r in RATIOS} | {f[1] for f in FAMILIES}
    results = load_results(args, topics)
    if not results:
        sys.exit(f"compare.py: no benchmark results found in {args.json_dir or args.bin_dir}")
    rows = compute(results)
    if args.markdown:
        print_markdown(rows, args, results)
    else:
        print_text(rows)
    if args.check and any(r[1] is not None and r[2] is not None and r[1] < r[2] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
