#!/usr/bin/env bash
# The README's demo command. Installs what it needs (idempotently), builds, checks the shipped
# templates, runs the decision core of a 2-node mirror and a 3-node farm on simulated nodes, then
# (as root) a real 2-node mirror with a virtual IP and a replicated directory in a lab of network
# namespaces, a client, and a crash of the primary node (scripts/demo-lab.sh). The farm lab and the
# web console come with later issues.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx --no-install tsc -p tsconfig.json
node scripts/build-templates.mjs
echo "== tandem config check on the shipped templates"
node dist/src/cli/main.js config check templates/cluster.xml templates/mirror/conf/userconfig.xml templates/farm/conf/userconfig.xml templates/customchecker/conf/userconfig.xml templates/demo/conf/userconfig.xml --nodes n1,n2 >/dev/null \
  && echo "templates: valid (run 'node dist/src/cli/main.js config check templates/cluster.xml templates/mirror/conf/userconfig.xml' for details)"
echo
node dist/test/sim/demo.js
echo
if [ "$(id -u)" = 0 ]; then
  bash scripts/demo-lab.sh
else
  echo "== the namespace lab needs root: run 'sudo bash scripts/demo.sh' to watch a real failover"
fi
