#!/bin/sh
# Makes a Debian armel (bookworm) sysroot with lua, sqlite3 and busybox for the real-program
# benchmarks, and beside it the same packages for x86-64 (DIR/native): bench/armel-sysroot.sh DIR,
# then bench/run.py --sysroot DIR/root.
# Downloads only (apt-get download); installs nothing on the host. Needs root for apt-get update.
set -eu
dir=${1:?usage: bench/armel-sysroot.sh DIR}
mkdir -p "$dir/debs" "$dir/root"
# The machine's own sources are signed for bookworm under its codename; a one-line list for
# the armel architecture names the same release as oldstable.
uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
list=/etc/apt/sources.list.d/isomorph-armel.list
echo "deb [arch=armel] ${uri:-http://deb.debian.org/debian} oldstable main" > "$list"
trap 'rm -f "$list"; apt-get update -qq' EXIT
apt-get update -qq
cd "$dir/debs"
apt-get download -qq lua5.4:armel liblua5.4-0:armel libc6:armel sqlite3:armel libsqlite3-0:armel \
    libreadline8:armel libtinfo6:armel zlib1g:armel busybox-static:armel 2>/dev/null
for deb in *.deb; do dpkg-deb -x "$deb" "$dir/root"; done
# The same programs built for x86-64 (the same Debian release), run natively for comparison;
# they use the host's C library.
mkdir -p "$dir/native-debs" "$dir/native"
cd "$dir/native-debs"
apt-get download -qq lua5.4:amd64 liblua5.4-0:amd64 sqlite3:amd64 libsqlite3-0:amd64 busybox-static:amd64 2>/dev/null
for deb in *.deb; do dpkg-deb -x "$deb" "$dir/native"; done
echo "sysroot ready: $dir/root (x86-64 builds: $dir/native)"
