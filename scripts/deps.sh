#!/usr/bin/env bash
# Installs (as root) or names (otherwise) the Debian 12 packages Breachwatch needs.
# Usage: scripts/deps.sh [build|test|demo]
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libpcap-dev libmaxminddb-dev libhiredis-dev libyaml-dev libhyperscan-dev
      libssl-dev libcurl4-openssl-dev libcmocka-dev libnftables-dev redis-server libjansson-dev)
case "$what" in
  test) pkgs+=(tshark tcpdump tcpreplay nftables iproute2 python3 mmdb-bin tmux curl
               nginx postgresql postgresql-client fail2ban chromium) ;;
  demo) pkgs+=(nftables iproute2) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "breachwatch: missing packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "breachwatch: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
