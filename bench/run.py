#!/usr/bin/env python3
"""Benchmark harness: builds the workloads natively (x86-64) and for ARM, runs each natively,
under qemu-arm and under every Isomorph tier in one go, and prints times and ratios.
Writes bench/RESULTS.md and bench/results.svg (not with --only: a partial run only prints).
Usage: bench/run.py [--repeat N] [--interp-repeat N] [--tiers interp,...] [--only NAME,...]
[--sysroot DIR] (real programs too: lua, sqlite3, busybox from a Debian armel sysroot made by
bench/armel-sysroot.sh)."""
import argparse, os, platform, shutil, subprocess, sys, tempfile, time, datetime

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

def relative(ratio):
    """A time ratio in words: "3.2x slower" or "2.1x faster"."""
    return f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"

CACHES = tempfile.mkdtemp(prefix="isomorph-bench-caches-")

def tier_options(tier, key):
    """`isomorph run` options for a runner: "jit" is a cold run (an empty code cache, so all
    compilation is paid, and the saving of its code too), "jit-warm" a run whose code cache a
    previous run of the same command (`key`) filled (see `timed`), "interp" the interpreter."""
    if tier == "jit":
        return ["--tier", "jit", "--cache-dir", tempfile.mkdtemp(dir=CACHES)]
    if tier == "jit-warm":
        return ["--tier", "jit", "--cache-dir", os.path.join(CACHES, "warm-" + key)]
    return ["--tier", tier]

def timed_together(commands, stdin=None):
    """The best wall time of each command ({label: (make, repeat, prime)}: `repeat` runs of the
    command `make()` returns, a new one per run; `prime` runs it once untimed first, to fill a
    warm code cache) and the output of its last run, as {label: (best, output)}. The commands
    run in turn, one run of each per round, so a machine whose speed drifts (a shared VM's
    does, by tens of percent over minutes) slows them all alike and their ratios hold."""
    for make, _, prime in commands.values():
        if prime:
            run_once(make(), stdin)
    results = {}
    for round_ in range(max(repeat for _, repeat, _ in commands.values())):
        for label, (make, repeat, _) in commands.items():
            if round_ < repeat:
                elapsed, out = run_once(make(), stdin)
                best = results[label][0] if label in results else None
                results[label] = (elapsed if best is None else min(best, elapsed), out)
    return results

def run_once(cmd, stdin):
    with open(stdin or os.devnull, "rb") as inp:
        start = time.perf_counter()
        p = subprocess.run(cmd, stdin=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed with status {p.returncode}: {p.stderr.decode()[:200]}")
    return elapsed, p.stdout

def repeats(args, label):
    """How many runs `label` gets: the interpreter tier has its own count."""
    return args.interp_repeat if label == "isomorph interp" else args.repeat

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--interp-repeat", type=int, default=None,
                    help="runs of the interp tier (default: --repeat); it is ~20x slower than the others, so 1 saves most of a --repeat 3")
    ap.add_argument("--tiers", default="interp", help="comma-separated: interp, jit (cold: empty code cache), jit-warm (code cache filled by a previous run)")
    ap.add_argument("--only", default="")
    ap.add_argument("--isomorph", default=os.path.join(ROOT, ".build", "release", "isomorph"))
    ap.add_argument("--sysroot", default="", help="a Debian armel sysroot (bench/armel-sysroot.sh): also time real programs")
    args = ap.parse_args()
    if args.interp_repeat is None:
        args.interp_repeat = args.repeat
    if not os.path.exists(args.isomorph):
        sys.exit(f"bench: {args.isomorph} not found; run `swift build -c release` first")
    build()
    tiers = [t for t in args.tiers.split(",") if t]
    names = [n for n in WORKLOADS if not args.only or n in args.only.split(",")]
    runners = [("native", lambda n: [os.path.join(BUILD, n + ".native")]),
               ("qemu-arm", lambda n: ["qemu-arm", os.path.join(BUILD, n + ".arm")])]
    for t in tiers:
        runners.append((f"isomorph {t}", lambda n, t=t: [args.isomorph, "run", *tier_options(t, n), os.path.join(BUILD, n + ".arm")]))
    rows = []
    for name in names:
        results = timed_together({label: (lambda cmd=cmd: cmd(name), repeats(args, label), label.endswith("warm"))
                                  for label, cmd in runners})
        times = {label: best for label, (best, _) in results.items()}
        outputs = {label: out for label, (_, out) in results.items()}
        reference = outputs["qemu-arm"]
        for label in times:
            if label.startswith("isomorph") and outputs[label] != reference:
                sys.exit(f"bench: {name} under {label} printed {outputs[label]!r}, qemu-arm printed {reference!r}")
        rows.append((name, times))
        print(name, {k: round(v, 3) for k, v in times.items()}, flush=True)
    startup = {label: best for label, (best, _) in
               timed_together({label: (lambda cmd=cmd: cmd("startup"), 5, label.endswith("warm")) for label, cmd in runners}).items()}
    real_lines = real_programs(args, tiers) if args.sysroot else []

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
            cells += [relative(t[l] / t["native"]), relative(t[l] / t["qemu-arm"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    n = len(rows)
    qemu_geo = 1.0
    for _, t in rows:
        qemu_geo *= t["qemu-arm"] / t["native"]
    summary = [f"qemu-arm vs native (geometric mean): {relative(qemu_geo ** (1 / n))}"]
    for l in labels[2:]:
        summary.append(f"{l} vs native (geometric mean): {relative(geo[l] ** (1 / n))}; "
                       f"vs qemu-arm: {relative(geoq[l] ** (1 / n))}")
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
        f"Command: `bench/run.py --repeat {args.repeat}{f' --interp-repeat {args.interp_repeat}' if args.interp_repeat != args.repeat else ''} --tiers {args.tiers}{' --sysroot ' + args.sysroot if args.sysroot else ''}`. "
        f"Times are wall-clock seconds, best of {args.repeat}{f' (interp: of {args.interp_repeat})' if args.interp_repeat != args.repeat else ''}, "
        "the runs of a program under native, qemu-arm and each tier taken in turn (one of each per round).",
        "ARM binaries: arm-linux-gnueabi-gcc -O2 -static (ARMv5TE, soft-float); native: cc -O2.", "",
        *lines, "", *summary, "", start_line, "", *real_lines])
    if args.only:
        print(text + "\n(--only: bench/RESULTS.md and bench/results.svg left as they were)")
    else:
        chart(rows, labels)
        text += "\n![Time relative to native, log scale](results.svg)\n"
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write(text)
        print(text)
    shutil.rmtree(CACHES, ignore_errors=True)

# Real programs from a Debian armel sysroot (dynamically linked, ARMv5TE): (name, program
# relative to the sysroot, arguments, stdin file or None). bench/real/ holds the inputs.
REAL = [("lua5.4 script", "usr/bin/lua5.4", [os.path.join(HERE, "real", "bench.lua")], None),
        ("sqlite3 queries", "usr/bin/sqlite3", [":memory:"], os.path.join(HERE, "real", "bench.sql")),
        ("busybox sort", "bin/busybox", ["sort", "-n", "-r", os.path.join(BUILD, "numbers.txt")], None),
        ("busybox gzip", "bin/busybox", ["gzip", "-9", "-c", os.path.join(BUILD, "numbers-large.txt")], None),
        ("busybox sh loop", "bin/busybox", ["sh", "-c", "i=0; s=0; while [ $i -lt 40000 ]; do i=$((i+1)); s=$((s+i%7)); done; echo $s"], None)]

def real_programs(args, tiers):
    """Times REAL under qemu-arm and each tier and returns the markdown lines of their table."""
    with open(os.path.join(BUILD, "numbers.txt"), "w") as f:
        f.write("".join(f"{(i * 7919) % 300007}\n" for i in range(300000)))
    with open(os.path.join(BUILD, "numbers-large.txt"), "w") as f:
        f.write("".join(f"{(i * 7919) % 1000003} {i % 977}\n" for i in range(1000000)))
    root = args.sysroot
    # The x86-64 builds of the same packages, beside the sysroot (bench/armel-sysroot.sh).
    native = os.path.join(os.path.dirname(os.path.abspath(root)), "native")
    if not os.path.exists(os.path.join(native, "usr", "bin", "lua5.4")):
        sys.exit(f"bench: no x86-64 builds of the real programs in {native}; run bench/armel-sysroot.sh again")
    runners = [("native", lambda key, program: ["env", f"LD_LIBRARY_PATH={native}/usr/lib/x86_64-linux-gnu",
                                                os.path.join(native, program)]),
               ("qemu-arm", lambda key, program: ["qemu-arm", "-L", root, os.path.join(root, program)])] + \
        [(f"isomorph {t}", lambda key, program, t=t: [args.isomorph, "run", "-L", root, *tier_options(t, key),
                                                      os.path.join(root, program)]) for t in tiers]
    lines = [f"Real programs (Debian armel binaries from `{root}`, dynamically linked except busybox; native: the same "
             f"Debian packages built for x86-64; jit: cold runs, compilation included; jit-warm: the code cache filled by an earlier run):", "",
             "| program | " + " | ".join(f"{l} (s)" for l, _ in runners) + " | qemu-arm vs native | "
             + " | ".join(f"{l} vs qemu" for l, _ in runners[2:]) + " |",
             "|---" * (1 + len(runners) + len(runners) - 1) + "|"]
    for index, (name, program, arguments, stdin) in enumerate(REAL):
        results = timed_together({label: (lambda command=command: command(f"real{index}", program) + arguments,
                                          repeats(args, label), label.endswith("warm"))
                                  for label, command in runners}, stdin)
        times = {label: best for label, (best, _) in results.items()}
        outputs = {label: out for label, (_, out) in results.items()}
        for label in times:
            if outputs[label] != outputs["qemu-arm"]:
                sys.exit(f"bench: {name} under {label} printed other output than under qemu-arm")
        print(name, {k: round(v, 3) for k, v in times.items()}, flush=True)
        lines.append(f"| {name} | " + " | ".join(f"{times[l]:.3f}" for l, _ in runners) + " | "
                     + " | ".join(relative(times[l] / times[base]) for l, base in
                                  [("qemu-arm", "native")] + [(l, "qemu-arm") for l, _ in runners[2:]]) + " |")
    return lines + [""]

def chart(rows, labels):
    """bench/results.svg: per workload, each runner's time relative to native, on a log scale."""
    import math
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    width, height, left, bottom, top = 900, 420, 60, 60, 30
    top_ratio = max(t[l] / t["native"] for _, t in rows for l in labels)
    decades = max(1, math.ceil(math.log10(top_ratio)))
    plot_h = height - bottom - top
    def y(ratio):
        return height - bottom - plot_h * math.log10(max(ratio, 1)) / decades
    group_w = (width - left - 20) / len(rows)
    bar_w = group_w * 0.8 / len(labels)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for d in range(decades + 1):
        yy = y(10 ** d)
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{10 ** d}x</text>')
    for g, (name, t) in enumerate(rows):
        x0 = left + g * group_w + group_w * 0.1
        for k, l in enumerate(labels):
            ratio = t[l] / t["native"]
            yy = y(ratio)
            out.append(f'<rect x="{x0 + k * bar_w:.1f}" y="{yy:.1f}" width="{bar_w - 1:.1f}" height="{height - bottom - yy:.1f}" fill="{colors[k % len(colors)]}"><title>{name} {l}: {ratio:.1f}x native</title></rect>')
        out.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{height - bottom + 16}" text-anchor="middle">{name}</text>')
    for k, l in enumerate(labels):
        out.append(f'<rect x="{left + k * 150}" y="{height - 24}" width="12" height="12" fill="{colors[k % len(colors)]}"/>')
        out.append(f'<text x="{left + k * 150 + 16}" y="{height - 14}">{l}</text>')
    out.append(f'<text x="{left}" y="18">Run time relative to native x86-64 (log scale; lower is better)</text>')
    out.append('</svg>')
    with open(os.path.join(HERE, "results.svg"), "w") as f:
        f.write("\n".join(out) + "\n")

if __name__ == "__main__":
    main()
