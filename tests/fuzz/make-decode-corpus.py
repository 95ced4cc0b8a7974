#!/usr/bin/env python3
"""Builds the seed corpus of tests/fuzz/fuzz_decode.c from pcap files: one seed
per capture, holding its link type (as the fuzzer's table index) and up to
MAX_FRAMES frames, each behind a 2-byte length; plus hand-made fragment seeds.
Usage: make-decode-corpus.py OUTDIR PCAP..."""
import os
import struct
import sys

DLTS = [1, 0, 108, 12, 14, 113, 276, 228, 229, 101]  # order of fuzz_dlts[]
LINKTYPE_TO_DLT = {0: 0, 1: 1, 101: 12, 108: 108, 113: 113, 276: 276, 228: 228, 229: 229}
MAX_FRAMES = 12
MAX_FRAME = 1600


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        raise SystemExit(f'{path}: not a classic pcap file')
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0fffffff
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return LINKTYPE_TO_DLT[linktype], out


def seed(dlt, fs):
    b = bytes([DLTS.index(dlt)])
    for fr in fs:
        fr = fr[:MAX_FRAME]
        b += struct.pack('>H', len(fr)) + fr
    return b


def ipv4_frag(ident, off, more, payload, proto=17):
    tot = 20 + len(payload)
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, tot, ident, (0x2000 if more else 0) | (off // 8),
                       64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + payload


def ipv6_frag(ident, off, more, payload):
    fh = struct.pack('>BBHI', 17, 0, off | (1 if more else 0), ident)
    return struct.pack('>IHBB16s16s', 0x60000000, len(fh) + len(payload), 44, 64,
                       b'\xfd' + b'\0' * 14 + b'\1', b'\xfd' + b'\0' * 14 + b'\2') + fh + payload


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for path in sys.argv[2:]:
        dlt, fs = frames(path)
        name = os.path.basename(os.path.dirname(path)) or os.path.basename(path)
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(seed(dlt, fs[:MAX_FRAMES]))
    udp = struct.pack('>HHHH', 5000, 6000, 8 + 56, 0) + bytes(range(56))
    v4 = [ipv4_frag(7, 0, 1, udp[:24]), ipv4_frag(7, 24, 1, udp[24:48]),
          ipv4_frag(7, 48, 0, udp[48:])]
    v6 = [ipv6_frag(9, 0, 1, udp[:24]), ipv6_frag(9, 24, 1, udp[24:48]),
          ipv6_frag(9, 48, 0, udp[48:])]
    seeds = {
        'frag-v4-in-order': seed(228, v4),
        'frag-v4-reverse': seed(228, v4[::-1]),
        'frag-v4-overlap': seed(228, [v4[0], ipv4_frag(7, 16, 1, b'\xee' * 16), v4[1], v4[2]]),
        'frag-v6-in-order': seed(229, v6),
        'frag-v6-reverse-dup': seed(229, [v6[2], v6[1], v6[1], v6[0]]),
    }
    for name, b in seeds.items():
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(b)


if __name__ == '__main__':
    main()
