#!/usr/bin/env bash
# Installs system packages and node modules the build and tests need. Idempotent: it only installs
# what is missing, and only `npm ci`s when package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: a compiler toolchain for better-sqlite3's native build, and the system tools
# the tests call (unzip reads our .safe packages; iproute2 and util-linux build the namespace lab;
# openssl makes the cluster CA and node certificates; arping announces a moved virtual IP;
# autoconf, automake and prove build and run pjdfstest against our FUSE file system; fio checks
# data written through it; attr and acl set extended attributes and ACLs through it; nftables
# blocks ARP in a lab node to hold its packets in the neighbour queue).
# Installed only when missing and only when we are root (CI is root).
declare -A pkg_for_cmd=([g++]=g++ [make]=make [python3]=python3 [unzip]=unzip [ip]=iproute2 [nsenter]=util-linux [openssl]=openssl [arping]=iputils-arping [ping]=iputils-ping [autoreconf]=autoconf [automake]=automake [prove]=perl [fio]=fio [setfattr]=attr [setfacl]=acl [nft]=nftables)
missing=()
for cmd in "${!pkg_for_cmd[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for_cmd[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: missing system packages (${missing[*]}); run as root on Debian to install them" >&2
  fi
fi

stamp=node_modules/.tandem-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! node -e "require('better-sqlite3')(':memory:')" 2>/dev/null; then
  echo "== npm ci (better-sqlite3 builds from source, about a minute)"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
