#!/usr/bin/env bash
# The lab part of the demo (as root): three network namespaces on a bridge — n1 and n2 run a
# 2-node mirror module with a virtual IP and a small HTTP counter whose count lives in a replicated
# directory, n3 is a client. You watch the first start, n2 joining as secondary (a full
# synchronisation), then a crash of every process of n1 and the client carrying on with n2 — with
# the count where n1 left it — and the interruption it measured. KEEP_LAB=1 leaves the lab up.
set -euo pipefail
cd "$(dirname "$0")/.."
T="node $PWD/dist/src/cli/main.js"
work=$(mktemp -d)
cleanup() { [ "${KEEP_LAB:-}" = 1 ] || $T lab down >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
$T lab down >/dev/null 2>&1 || true # a lab left by an interrupted run
step() { printf '\n== %s\n' "$*"; }

step "a lab of 3 network namespaces (n1, n2: the mirror; n3: a client)"
$T lab up --nodes 3
cat > "$work/cluster.xml" <<'XML'
<cluster><lans><lan name="default"><node name="n1" addr="10.77.0.1"/><node name="n2" addr="10.77.0.2"/></lan></lans></cluster>
XML

step "each node gets its own /var/lib/tandem-demo/data (a bind mount in its mount namespace), as on two machines"
for n in n1 n2; do
  mkdir -p "$work/$n-data" /var/lib/tandem-demo/data
  $T lab exec $n -- mount --bind "$work/$n-data" /var/lib/tandem-demo/data
done

step "cluster: configured on n1, its zip applied on n2, tandemd started on both"
$T lab tandem n1 cluster config "$work/cluster.xml" | head -1
$T lab tandem n1 cluster package "$work/cluster.zip" >/dev/null
$T lab tandem n2 cluster config "$work/cluster.zip" | head -1
$T lab daemon n1
$T lab daemon n2
for n in n1 n2; do for _ in $(seq 50); do $T lab tandem $n cluster state >/dev/null 2>&1 && break; sleep 0.2; done; done

step "the demo module: installed and configured on n1, copied to n2 with the same id (-E)"
$T lab tandem n1 module install -m demo | head -1
$T lab tandem n1 config -m demo | tail -1
$T lab tandem n1 -H n2 -E demo | tail -1

step "n1 forced primary (a first start: no copy is known up to date), then n2 as secondary"
$T lab tandem n1 prim -m demo
$T lab tandem n1 waitstate -m demo ALONE --timeout 30
$T lab tandem n2 second -m demo
for _ in $(seq 150); do [ "$($T lab tandem n2 get -m demo -r rfs.uptodate 2>/dev/null)" = up ] && break; sleep 0.2; done
$T lab tandem n1 -H "*" state -m demo
$T lab tandem n1 log -m demo | grep -E "Reintegration of n2|mounted" | sed 's/^/n1 log: /'

step "the client on n3 asks http://10.77.0.100:8080 every 10 ms; in 3 s every process of n1 is killed"
$T lab exec n3 -- node "$PWD/scripts/demo-client.mjs" 10.77.0.100 8080 10 &
client=$!
sleep 3
$T lab crash n1
wait $client

step "after the crash: n2 is alone, holds the virtual IP, and counts on from n1's last answer"
$T lab tandem n2 state -m demo
$T lab exec n2 -- ip -o -4 addr show dev eth0 | awk '{print "n2 eth0: " $4}'
echo "count in n2's copy: $(cat "$work/n2-data/count")"
$T lab tandem n2 log -m demo -s 8
if [ "${KEEP_LAB:-}" = 1 ]; then echo; echo "the lab stays up: tandem lab status · tandem lab tandem n2 state · tandem lab down"; fi
