#!/usr/bin/env bash
# Cross-builds every guest program into guests/build/ (gitignored).
#
#   guests/build.sh            build what is missing or out of date (parallel, idempotent)
#   guests/build.sh --clean    remove guests/build/ first
#
# C guests (guests/c/NAME.c) are built four ways:
#   NAME.static.v5   -march=armv5te  static      NAME.dynamic.v5  -march=armv5te  dynamic (PIE)
#   NAME.static.v7   -march=armv7-a  static      NAME.dynamic.v7  -march=armv7-a  dynamic (PIE)
# always ARM state (-marm), soft-float EABI (arm-linux-gnueabi). Dynamic ones need a sysroot:
# qemu-arm -L /usr/arm-linux-gnueabi, isomorph run -L /usr/arm-linux-gnueabi.
# Lines "// CFLAGS: ..." and "// LDFLAGS: ..." in a C file add compile and link flags.
#
# Assembly guests (guests/asm/NAME.S, no libc, -nostdlib -static) are built once, as
# NAME.static.v5 or NAME.static.v7 according to their "@ ARCH: armv7-a" line (default armv5te).
#
# Bad-input fixtures go to guests/build/bad/: thumb_entry (Thumb entry point), bigendian
# (-mbig-endian), relocatable.o (an ET_REL object, not an executable).
#
# Environment: CROSS_CC (default arm-linux-gnueabi-gcc), JOBS (default nproc),
# GUESTS_OUT (default guests/build).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${GUESTS_OUT:-$HERE/build}
CC=${CROSS_CC:-arm-linux-gnueabi-gcc}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
SELF="$HERE/build.sh"

die() { echo "guests/build.sh: error: $*" >&2; exit 1; }

if [[ ${1:-} == --clean ]]; then rm -rf "$OUT"; shift; fi
[[ $# -eq 0 ]] || die "unknown argument: $1 (usage: build.sh [--clean])"

command -v "$CC" >/dev/null 2>&1 ||
    die "$CC not found; install gcc-arm-linux-gnueabi and libc6-dev-armel-cross (see .ci/setup)"
[[ -e /usr/arm-linux-gnueabi/lib/libc.so.6 ]] ||
    die "/usr/arm-linux-gnueabi/lib/libc.so.6 missing; install libc6-dev-armel-cross"

mkdir -p "$OUT/bad"
# Serialise concurrent invocations (e.g. parallel test processes).
exec 9>"$OUT/.lock"
flock 9

COMMON_CFLAGS=(-O2 -Wall -Wextra -Wno-unused-parameter -Werror -fno-strict-aliasing -marm)
ASFLAGS=(-nostdlib -static -Wa,--fatal-warnings -Wl,--build-id=none -I"$HERE/asm")

# stale OUTPUT INPUTS...: true if OUTPUT is missing or older than any input.
stale() {
    local out=$1 dep
    shift
    [[ -e $out ]] || return 0
    for dep in "$@"; do [[ $dep -nt $out ]] && return 0; done
    return 1
}

# compile OUTPUT CMD...: run CMD writing to OUTPUT.tmp, then rename (no half-written outputs).
compile() {
    local out=$1
    shift
    local tmp="$out.tmp.$BASHPID"
    if ! "$@" -o "$tmp"; then
        rm -f "$tmp"
        echo "guests/build.sh: FAILED: ${out#"$HERE"/}" >&2
        return 1
    fi
    mv -f "$tmp" "$out"
}

running=0 failed=0 built=0 uptodate=0
spawn() {
    compile "$@" &
    running=$((running + 1))
    built=$((built + 1))
    if ((running >= JOBS)); then
        wait -n || failed=$((failed + 1))
        running=$((running - 1))
    fi
}

# C guests: four variants each.
shopt -s nullglob
for src in "$HERE"/c/*.c; do
    name=$(basename "$src" .c)
    read -r -a extra <<<"$(sed -n 's|^// LDFLAGS:||p' "$src" | head -n1)"
    read -r -a cflags <<<"$(sed -n 's|^// CFLAGS:||p' "$src" | head -n1)"
    for variant in static.v5 static.v7 dynamic.v5 dynamic.v7; do
        out="$OUT/$name.$variant"
        if ! stale "$out" "$src" "$SELF"; then uptodate=$((uptodate + 1)); continue; fi
        flags=("${COMMON_CFLAGS[@]}")
        case $variant in
            *.v5) flags+=(-march=armv5te) ;;
            *.v7) flags+=(-march=armv7-a) ;;
        esac
        [[ $variant == static.* ]] && flags+=(-static)
        spawn "$out" "$CC" "${flags[@]}" "${cflags[@]}" "$src" "${extra[@]}"
    done
done

# Assembly guests: one variant, architecture from the "@ ARCH:" line.
for src in "$HERE"/asm/*.S; do
    name=$(basename "$src" .S)
    arch=$(sed -n 's|^@ ARCH:[[:space:]]*||p' "$src" | head -n1)
    arch=${arch:-armv5te}
    case $arch in
        armv5te) suffix=v5 ;;
        armv7-a) suffix=v7 ;;
        *) die "$src: unsupported ARCH '$arch'" ;;
    esac
    out="$OUT/$name.static.$suffix"
    if ! stale "$out" "$src" "$HERE/asm/common.inc" "$SELF"; then uptodate=$((uptodate + 1)); continue; fi
    spawn "$out" "$CC" "${ASFLAGS[@]}" -march="$arch" -marm "$src"
done

# Bad-input fixtures.
if stale "$OUT/bad/thumb_entry" "$HERE/bad/thumb_entry.S" "$SELF"; then
    spawn "$OUT/bad/thumb_entry" "$CC" "${ASFLAGS[@]}" -march=armv7-a -mthumb "$HERE/bad/thumb_entry.S"
else uptodate=$((uptodate + 1)); fi
if stale "$OUT/bad/bigendian" "$HERE/bad/bigendian.S" "$SELF"; then
    spawn "$OUT/bad/bigendian" "$CC" "${ASFLAGS[@]}" -mbig-endian "$HERE/bad/bigendian.S"
else uptodate=$((uptodate + 1)); fi

if stale "$OUT/bad/relocatable.o" "$HERE/asm/asm_hello.S" "$SELF"; then
    spawn "$OUT/bad/relocatable.o" "$CC" -c -march=armv5te -marm "$HERE/asm/asm_hello.S"
else uptodate=$((uptodate + 1)); fi

while ((running > 0)); do
    wait -n || failed=$((failed + 1))
    running=$((running - 1))
done
((failed == 0)) || die "$failed of $built builds failed"
echo "guests/build.sh: $built built, $uptodate up to date in ${OUT#"$PWD"/}" >&2
