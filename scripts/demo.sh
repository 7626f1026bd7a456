#!/usr/bin/env bash
# The README's demo command. Installs what it needs (idempotently), builds, checks the shipped
# templates, and runs what is built today: the decision core of a 2-node mirror and a 3-node farm
# on simulated nodes, printing the module log as a failover happens. The network-namespace lab
# (real nodes, VIP, replication, console URL) comes with the mirror-module issue.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx --no-install tsc -p tsconfig.json
echo "== tandem config check on the shipped templates"
node dist/src/cli/main.js config check templates/cluster.xml templates/mirror/conf/userconfig.xml templates/farm/conf/userconfig.xml templates/customchecker/conf/userconfig.xml --nodes n1,n2 >/dev/null \
  && echo "templates: valid (run 'node dist/src/cli/main.js config check templates/cluster.xml templates/mirror/conf/userconfig.xml' for details)"
echo
node dist/test/sim/demo.js
