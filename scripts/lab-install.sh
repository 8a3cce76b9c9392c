#!/usr/bin/env bash
# Installs the Debian packages `beneath lab` runs (real servers and exporters), skipping those already
# installed. Needs root (or sudo) and apt. Services are not enabled or started: the lab starts its own
# instances on 127.0.0.1 with scratch data directories, and stops them by PID.
set -euo pipefail

PACKAGES=(
  prometheus prometheus-node-exporter prometheus-mysqld-exporter mariadb-server
  rabbitmq-server postgresql pgbouncer prometheus-postgres-exporter iproute2 iptables
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "lab-install: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "lab-install: installing ${missing[*]}"
# policy-rc.d exit 101 keeps the packages' postinst scripts from starting system services we do not use.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
