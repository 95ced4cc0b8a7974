#!/usr/bin/env bash
# Decoder against the 26 shared public captures: every IP packet tshark sees is
# seen by the decoder, with the same addresses and ports; VLANs and the
# truncated capture give what suricata-verify states. Skips without ../shared.
set -euo pipefail
dir=${BW_SHARED:+$BW_SHARED/pcaps-public}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then echo "skip: no shared pcaps"; exit 77; fi
command -v tshark >/dev/null || { echo "skip: no tshark"; exit 77; }
tool=$BW_TOOLS/bwt-decode-pcap
tmp=$(mktemp -d /tmp/bw-decode-shared.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
for f in "$dir"/*/*.pcap; do
  name=$(basename "$(dirname "$f")")
  n=$((n + 1))
  "$tool" "$f" > "$tmp/out"
  # tshark: first address pair and TCP/UDP ports of each packet ("" when none).
  tshark -r "$f" -T fields -E separator='|' -E aggregator=';' \
      -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e udp.srcport \
      -e tcp.dstport -e udp.dstport 2>/dev/null |
    awk -F'|' '{ for (i = 1; i <= 8; i++) sub(/;.*/, "", $i);
                 print $1 $2 "|" $3 $4 "|" $5 $6 "|" $7 $8 }' > "$tmp/tshark"
  want_ip=$(grep -c '^[^|]' "$tmp/tshark" || true)
  got_ip=$(sed -n 's/^# ip_seen=\([0-9]*\).*/\1/p' "$tmp/out")
  if [ "$want_ip" != "$got_ip" ]; then
    echo "FAIL $name: tshark $want_ip IP packets, decoder saw $got_ip"; fail=1
  fi
  # Per packet: decoded tuples equal tshark's; "-" only where an event explains it.
  grep -v '^#' "$tmp/out" | sed 's/ vlan=.*//' > "$tmp/ours"
  dropped=$(grep -c '^-$' "$tmp/ours" || true)
  if ! diff <(paste -d' ' "$tmp/ours" "$tmp/tshark" | awk '$1 != "-"' | awk '$1 != $2') /dev/null >/dev/null; then
    echo "FAIL $name: tuples differ from tshark:"
    paste -d' ' "$tmp/ours" "$tmp/tshark" | awk '$1 != "-" && $1 != $2' | head -5; fail=1
  fi
  invalid=$(sed -n 's/.* invalid=\([0-9]*\).*/\1/p' "$tmp/out")
  if [ "$dropped" != "$invalid" ]; then
    echo "FAIL $name: $dropped packets dropped but $invalid invalid"; fail=1
  fi
  case $name in
    sv-ipv4-truncated)
      grep -q '^# event ipv4.truncated=1$' "$tmp/out" || { echo "FAIL $name: no ipv4.truncated"; fail=1; }
      [ "$dropped" = 1 ] || { echo "FAIL $name: truncated packet was passed on"; fail=1; } ;;
    sv-eve-flow-vlan)
      [ "$(grep -v '^#' "$tmp/out" | sed 's/.* vlan=//' | tr '\n' ' ')" = "6 1,10 " ] ||
        { echo "FAIL $name: vlans $(grep -v '^#' "$tmp/out" | sed 's/.* vlan=//' | tr '\n' ' ')"; fail=1; } ;;
    *)
      [ "$dropped" = 0 ] || { echo "FAIL $name: $dropped packets dropped"; grep '^# event' "$tmp/out"; fail=1; } ;;
  esac
done
[ "$n" = 26 ] || { echo "FAIL: expected 26 captures, found $n"; fail=1; }
[ $fail = 0 ] && echo "ok: $n captures decode as tshark reads them"
exit $fail
