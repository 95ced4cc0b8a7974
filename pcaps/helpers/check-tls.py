#!/usr/bin/env python3
"""Check a TLS capture against its truth file with tshark: the SNI, and the TCP payload
bytes in each direction (an upload must carry at least upload_bytes towards the server, a
download at least download_bytes towards the actor). Records inside TLS cannot be seen;
they are stated by the recorder. Used by pcaps/check.sh.
Usage: check-tls.py CAPTURE.pcap TRUTH.json
"""
import json
import subprocess
import sys


def main():
    pcap, tp = sys.argv[1], sys.argv[2]
    with open(tp) as f:
        t = json.load(f)
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "ip.src", "-e",
                          "tcp.len", "-e", "tls.handshake.extensions_server_name"],
                         capture_output=True, text=True, check=True).stdout
    up = down = 0
    sni = set()
    for l in out.splitlines():
        src, n, name = (l.split("\t") + ["", ""])[:3]
        if src == t["actor_ip"]:
            up += int(n or 0)
        elif src == t["server_ip"]:
            down += int(n or 0)
        if name:
            sni.add(name)
    ok = sni == {t["sni"]}
    if "upload_bytes" in t:
        ok = ok and up >= t["upload_bytes"] and down < t["upload_bytes"] // 10
    if "download_bytes" in t:
        ok = ok and down >= t["download_bytes"] and up < t["download_bytes"] // 10
    print("%-20s tls   SNI %s, %d bytes to server, %d bytes to actor (upload %s, download %s): %s" % (
        t["scenario"], ",".join(sorted(sni)), up, down, t.get("upload_bytes", "-"),
        t.get("download_bytes", "-"), "OK" if ok else "MISMATCH"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
