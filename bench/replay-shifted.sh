#!/usr/bin/env bash
# Shared by the benchmarks (not a test): writes N copies of a capture to stdout
# as one pcap stream, each copy shifted in time past the previous one's end
# plus 600 s (longer than any flow timeout), as a replay would deliver it:
# packet time moves on, so earlier copies' flows end. Copies go through FIFOs
# (editcap -t into mergecap -a), so nothing of N x the capture is written.
# Sourced: `. bench/replay-shifted.sh; bw_replay_shifted CAP N TMPDIR | reader -r -`.

# bw_replay_shifted CAP N TMPDIR: the stream on stdout; FIFOs made in TMPDIR.
bw_replay_shifted() {
  local cap=$1 n=$2 dir=$3 dur i fifos=()
  dur=$(capinfos -u -M "$cap" | awk '/duration/ {print int($(NF-1)) + 1}')
  for i in $(seq 0 $((n - 1))); do
    rm -f "$dir/copy$i"
    mkfifo "$dir/copy$i"
    fifos+=("$dir/copy$i")
    editcap -F pcap -t $((i * (dur + 600))) "$cap" "$dir/copy$i" 2>/dev/null &
  done
  mergecap -a -F pcap -w - "${fifos[@]}"
  wait
}
