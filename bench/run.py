#!/usr/bin/env python3
"""Benchmark harness: builds the workloads natively (x86-64) and for ARM, runs each natively,
under qemu-arm and under every Isomorph tier in one go, and prints times and ratios.
Writes bench/RESULTS.md. Usage: bench/run.py [--repeat N] [--tiers interp,...] [--only NAME,...]"""
import argparse, os, platform, subprocess, sys, time, datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build")
WORKLOADS = ["crc32", "sieve", "branchy", "strings", "calls", "softfloat", "interp"]

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)

def build():
    os.makedirs(BUILD, exist_ok=True)
    for name in WORKLOADS + ["startup"]:
        src = os.path.join(HERE, "workloads", name + ".c")
        for compiler, suffix, extra in (("cc", ".native", []), ("arm-linux-gnueabi-gcc", ".arm", ["-static"])):
            out = os.path.join(BUILD, name + suffix)
            if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
                sh([compiler, "-O2", *extra, "-o", out, src])

def timed(cmd, repeat):
    """Best wall time of `repeat` runs, and the output of the last."""
    best, out = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed with status {p.returncode}: {p.stderr.decode()[:200]}")
        out = p.stdout
        best = elapsed if best is None else min(best, elapsed)
    return best, out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tiers", default="interp")
    ap.add_argument("--only", default="")
    ap.add_argument("--isomorph", default=os.path.join(ROOT, ".build", "release", "isomorph"))
    args = ap.parse_args()
    if not os.path.exists(args.isomorph):
        sys.exit(f"bench: {args.isomorph} not found; run `swift build -c release` first")
    build()
    tiers = [t for t in args.tiers.split(",") if t]
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]
    runners = [("native", lambda n: [os.path.join(BUILD, n + ".native")]),
               ("qemu-arm", lambda n: ["qemu-arm", os.path.join(BUILD, n + ".arm")])]
    for t in tiers:
        runners.append((f"isomorph {t}", lambda n, t=t: [args.isomorph, "run", "--tier", t, os.path.join(BUILD, n + ".arm")]))
    rows = []
    for name in names:
        times, outputs = {}, {}
        for label, cmd in runners:
            times[label], outputs[label] = timed(cmd(name), args.repeat)
        reference = outputs["qemu-arm"]
        for label in times:
            if label.startswith("isomorph") and outputs[label] != reference:
                sys.exit(f"bench: {name} under {label} printed {outputs[label]!r}, qemu-arm printed {reference!r}")
        rows.append((name, times))
        print(name, {k: round(v, 3) for k, v in times.items()}, flush=True)
    startup = {label: timed(cmd("startup"), 5)[0] for label, cmd in runners}

    labels = [l for l, _ in runners]
    lines = ["| workload | " + " | ".join(f"{l} (s)" for l in labels) + " | "
             + " | ".join(f"{l} vs native | {l} vs qemu" for l in labels[2:]) + " |",
             "|---" * (1 + len(labels) + 2 * len(labels[2:])) + "|"]
    geo = {l: 1.0 for l in labels[2:]}
    geoq = {l: 1.0 for l in labels[2:]}
    for name, t in rows:
        cells = [f"{t[l]:.3f}" for l in labels]
        for l in labels[2:]:
            geo[l] *= t[l] / t["native"]
            geoq[l] *= t[l] / t["qemu-arm"]
            cells += [f"{t[l] / t['native']:.1f}x slower", f"{t[l] / t['qemu-arm']:.1f}x slower"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    n = len(rows)
    qemu_geo = 1.0
    for _, t in rows:
        qemu_geo *= t["qemu-arm"] / t["native"]
    summary = [f"qemu-arm vs native (geometric mean): {qemu_geo ** (1 / n):.1f}x slower"]
    for l in labels[2:]:
        summary.append(f"{l} vs native (geometric mean): {geo[l] ** (1 / n):.1f}x slower; "
                       f"vs qemu-arm: {geoq[l] ** (1 / n):.1f}x slower")
    start_line = "Startup (static hello world, best of 5): " + ", ".join(f"{l} {startup[l] * 1000:.1f} ms" for l in labels)
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip(); break
    except OSError:
        pass
    text = "\n".join([
        "# Benchmark results", "",
        f"Measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, {platform.platform()}.",
        f"Command: `bench/run.py --repeat {args.repeat} --tiers {args.tiers}`. Times are wall-clock seconds, best of {args.repeat}.",
        "ARM binaries: arm-linux-gnueabi-gcc -O2 -static (ARMv5TE, soft-float); native: cc -O2.", "",
        *lines, "", *summary, "", start_line, ""])
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write(text)
    print(text)

if __name__ == "__main__":
    main()
