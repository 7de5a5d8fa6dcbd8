#!/usr/bin/env bash
# Command-line tools the checks use, installed from Debian's packages when missing:
# promtool (lints /metrics and alert rules) and kcat (an independent Kafka client for operators).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

declare -A PACKAGE_OF=([promtool]=prometheus [kcat]=kcat)
missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  log "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run once as root"
  exit 1
fi
log "installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
