#!/usr/bin/env python3
"""mkmmdb.py - write a MaxMind DB (.mmdb) file from a JSON source.

Breachwatch's own small GeoIP database is built with this tool at development
time (python3 standard library only). It is written from the public format
specification, https://maxmind.github.io/MaxMind-DB/ (format version 2.0):

  [binary search tree][16 zero bytes][data section]["\\xAB\\xCD\\xEFMaxMind.com"][metadata map]

Usage:
  mkmmdb.py [--record-size 24|28|32] [--ip-version 4|6] SOURCE.json OUT.mmdb

SOURCE.json is either a list of entries or an object
  {"database_type": ..., "description": ..., "build_epoch": N, "networks": [entries]}
and each entry is
  {"network": "89.160.20.112/28", "country": "SE", "registered_country": "DE",
   "continent": "EU", "asn": 29518, "asn_org": "Bredband2 AB", "data": {...}}
Every key but "network" is optional. The record written for an entry has the
GeoLite2-Country/City shape ("country": {"iso_code", "names": {"en"}},
"registered_country", "continent") plus the GeoLite2-ASN keys
"autonomous_system_number" / "autonomous_system_organization" in the same
record, so one file serves as both a country and an ASN database. "data" is
merged into the record as is; JSON types map to MMDB types (str utf8_string,
bool boolean, float double, int uint32/uint64/uint128 or int32 when negative,
list array, dict map) and {"@type": T, "value": V} forces a type (T one of
utf8_string double bytes(hex) uint16 uint32 uint64 uint128 int32 boolean float).

An IPv6 tree (the default) holds IPv4 networks under ::/96 and, like MaxMind's
databases, aliases ::ffff:0:0/96 (IPv4-mapped), 2002::/16 (6to4) and
2001::/32 (Teredo) to that IPv4 subtree. When networks overlap, the more
specific one wins inside its range. The output is a function of the source:
build_epoch comes from the source, else $SOURCE_DATE_EPOCH, else the current
time (libmaxminddb rejects 0).
"""

import ipaddress
import json
import os
import struct
import sys
import time

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

# English names of the ISO 3166-1 codes the tool knows; an entry may carry
# "country_name" for a code that is not here.
COUNTRY_NAMES = {
    "AE": "United Arab Emirates", "AR": "Argentina", "AT": "Austria",
    "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "BR": "Brazil",
    "BT": "Bhutan", "BY": "Belarus", "CA": "Canada", "CH": "Switzerland",
    "CL": "Chile", "CN": "China", "CO": "Colombia", "CZ": "Czechia",
    "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "EG": "Egypt",
    "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
    "GI": "Gibraltar", "GR": "Greece", "HK": "Hong Kong", "HU": "Hungary",
    "ID": "Indonesia", "IE": "Ireland", "IL": "Israel", "IN": "India",
    "IR": "Iran", "IS": "Iceland", "IT": "Italy", "JP": "Japan",
    "KP": "North Korea", "KR": "South Korea", "LT": "Lithuania",
    "LU": "Luxembourg", "LV": "Latvia", "MX": "Mexico", "MY": "Malaysia",
    "NG": "Nigeria", "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand",
    "PH": "Philippines", "PK": "Pakistan", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "RU": "Russia", "SA": "Saudi Arabia", "SE": "Sweden",
    "SG": "Singapore", "SK": "Slovakia", "TH": "Thailand", "TR": "Türkiye",
    "TW": "Taiwan", "UA": "Ukraine", "US": "United States", "VN": "Vietnam",
    "ZA": "South Africa",
}

CONTINENT_NAMES = {
    "AF": "Africa", "AN": "Antarctica", "AS": "Asia", "EU": "Europe",
    "NA": "North America", "OC": "Oceania", "SA": "South America",
}

# Data section type numbers (spec, "Output Data Section").
T_POINTER, T_UTF8, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_INT32, T_UINT64, T_UINT128, T_ARRAY, T_BOOLEAN, T_FLOAT = 8, 9, 10, 11, 14, 15

# IPv6 ranges that MaxMind aliases to the IPv4 subtree ::/96.
IPV4_ALIASES = ("::ffff:0:0/96", "2002::/16", "2001::/32")


class SourceError(Exception):
    """A problem with the JSON source; the message names the entry."""


class Typed:
    """A value with an explicit MMDB type, from {"@type": T, "value": V}."""

    def __init__(self, type_name, value):
        self.type_name = type_name
        self.value = value


def control(type_num, size):
    """Return the control byte(s) for TYPE_NUM with payload SIZE (bytes or entries)."""
    if size < 29:
        first, extra = size, b""
    elif size < 29 + 256:
        first, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, extra = 30, struct.pack(">H", size - 285)
    elif size < 65821 + (1 << 24):
        first, extra = 31, struct.pack(">I", size - 65821)[1:]
    else:
        raise SourceError("value too large for the MMDB size field: %d" % size)
    if type_num <= 7:
        return bytes([(type_num << 5) | first]) + extra
    # Extended type: type bits 0, the next byte holds type - 7, then size bytes.
    return bytes([first, type_num - 7]) + extra


def encode_pointer(offset):
    """Return a pointer to OFFSET (from the start of the data section)."""
    if offset < (1 << 11):
        return bytes([0x20 | (offset >> 8), offset & 0xFF])
    if offset < 2048 + (1 << 19):
        v = offset - 2048
        return bytes([0x28 | (v >> 16), (v >> 8) & 0xFF, v & 0xFF])
    if offset < 526336 + (1 << 27):
        v = offset - 526336
        return bytes([0x30 | (v >> 24)]) + struct.pack(">I", v)[1:]
    return bytes([0x38]) + struct.pack(">I", offset)


def encode_uint(type_num, value, max_bytes):
    """Encode unsigned VALUE as big-endian with leading zero bytes dropped."""
    if value < 0 or value >= (1 << (8 * max_bytes)):
        raise SourceError("value %d out of range for a %d-byte unsigned" % (value, max_bytes))
    payload = value.to_bytes(max_bytes, "big").lstrip(b"\x00")
    return control(type_num, len(payload)) + payload


class DataWriter:
    """Builds a data section; repeated strings and maps become pointers."""

    def __init__(self, dedupe=True):
        self.buf = bytearray()
        self.dedupe = dedupe
        self.seen = {}

    def write(self, value):
        """Append VALUE and return its offset in the data section."""
        encoded = self.encode(value)
        return self.place(encoded)

    def place(self, encoded):
        """Store ENCODED once; return the offset of its (first) copy."""
        if self.dedupe and encoded in self.seen:
            return self.seen[encoded]
        offset = len(self.buf)
        self.buf += encoded
        if self.dedupe:
            self.seen[encoded] = offset
        return offset

    def encode(self, value):
        """Return the bytes of VALUE; nested strings/maps may point to earlier copies."""
        if isinstance(value, Typed):
            return self.encode_typed(value)
        if isinstance(value, bool):
            return control(T_BOOLEAN, 1 if value else 0)
        if isinstance(value, int):
            if value < 0:
                return self.encode_typed(Typed("int32", value))
            if value < (1 << 32):
                return encode_uint(T_UINT32, value, 4)
            if value < (1 << 64):
                return encode_uint(T_UINT64, value, 8)
            return encode_uint(T_UINT128, value, 16)
        if isinstance(value, float):
            return control(T_DOUBLE, 8) + struct.pack(">d", value)
        if isinstance(value, str):
            raw = value.encode("utf-8")
            return control(T_UTF8, len(raw)) + raw
        if isinstance(value, list):
            return control(T_ARRAY, len(value)) + b"".join(self.nested(v) for v in value)
        if isinstance(value, dict):
            out = bytearray(control(T_MAP, len(value)))
            for key in sorted(value):
                if not isinstance(key, str):
                    raise SourceError("map keys must be strings")
                out += self.nested(key)
                out += self.nested(value[key])
            return bytes(out)
        raise SourceError("cannot encode %r" % (value,))

    def nested(self, value):
        """Encode a value inside a map or array, as a pointer when one is shorter."""
        encoded = self.encode(value)
        if not self.dedupe or not isinstance(value, (str, dict)):
            return encoded
        if encoded in self.seen:
            ptr = encode_pointer(self.seen[encoded])
            if len(ptr) < len(encoded):
                return ptr
            return encoded
        # First sight of a sizeable value: store it so later copies can point here.
        if len(encoded) > 3:
            return encode_pointer(self.place(encoded))
        return encoded

    def encode_typed(self, typed):
        """Encode a value whose MMDB type was given explicitly."""
        t, v = typed.type_name, typed.value
        try:
            if t == "utf8_string":
                return self.encode(str(v))
            if t == "double":
                return control(T_DOUBLE, 8) + struct.pack(">d", float(v))
            if t == "float":
                return control(T_FLOAT, 4) + struct.pack(">f", float(v))
            if t == "bytes":
                raw = bytes.fromhex(v)
                return control(T_BYTES, len(raw)) + raw
            if t == "uint16":
                return encode_uint(T_UINT16, int(v), 2)
            if t == "uint32":
                return encode_uint(T_UINT32, int(v), 4)
            if t == "uint64":
                return encode_uint(T_UINT64, int(v), 8)
            if t == "uint128":
                return encode_uint(T_UINT128, int(v), 16)
            if t == "int32":
                iv = int(v)
                if iv < -(1 << 31) or iv >= (1 << 31):
                    raise SourceError("int32 out of range: %d" % iv)
                payload = struct.pack(">i", iv)
                if iv >= 0:
                    payload = payload.lstrip(b"\x00")
                return control(T_INT32, len(payload)) + payload
            if t == "boolean":
                if not isinstance(v, bool):
                    raise SourceError("boolean value must be true or false")
                return control(T_BOOLEAN, 1 if v else 0)
        except (TypeError, ValueError) as exc:
            raise SourceError("bad %s value %r: %s" % (t, v, exc)) from exc
        raise SourceError("unknown @type %r" % (t,))


def from_json(value):
    """Turn {"@type":..,"value":..} objects of parsed JSON into Typed values."""
    if isinstance(value, dict):
        if "@type" in value:
            if set(value) != {"@type", "value"}:
                raise SourceError("a typed value has exactly @type and value")
            return Typed(value["@type"], value["value"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def country_object(code, name):
    """Return the GeoLite2 country map for ISO code CODE."""
    if not isinstance(code, str) or len(code) != 2 or not code.isascii() \
            or not code.isupper() or not code.isalpha():
        raise SourceError("country code must be two letters A-Z, not %r" % (code,))
    name = name or COUNTRY_NAMES.get(code)
    if name is None:
        raise SourceError("no English name known for %s; add \"country_name\"" % code)
    return {"iso_code": code, "names": {"en": name}}


def make_record(entry):
    """Return the data record (a dict) for one source entry."""
    known = {"network", "country", "country_name", "registered_country",
             "registered_country_name", "continent", "asn", "asn_org", "data"}
    unknown = set(entry) - known
    if unknown:
        raise SourceError("unknown keys %s" % ", ".join(sorted(unknown)))
    rec = {}
    if "country" in entry:
        rec["country"] = country_object(entry["country"], entry.get("country_name"))
        reg = entry.get("registered_country", entry["country"])
        reg_name = entry.get("registered_country_name")
        if reg == entry["country"] and reg_name is None:
            reg_name = entry.get("country_name")
        rec["registered_country"] = country_object(reg, reg_name)
    elif "registered_country" in entry:
        rec["registered_country"] = country_object(entry["registered_country"],
                                                   entry.get("registered_country_name"))
    if "continent" in entry:
        code = entry["continent"]
        if code not in CONTINENT_NAMES:
            raise SourceError("unknown continent code %r" % (code,))
        rec["continent"] = {"code": code, "names": {"en": CONTINENT_NAMES[code]}}
    if "asn" in entry:
        asn = entry["asn"]
        if isinstance(asn, bool) or not isinstance(asn, int) or not 0 < asn < (1 << 32):
            raise SourceError("asn must be an integer 1..4294967295, not %r" % (asn,))
        rec["autonomous_system_number"] = Typed("uint32", asn)
    if "asn_org" in entry:
        if not isinstance(entry["asn_org"], str):
            raise SourceError("asn_org must be a string")
        rec["autonomous_system_organization"] = entry["asn_org"]
    if "data" in entry:
        extra = from_json(entry["data"])
        if not isinstance(extra, dict):
            raise SourceError("data must be an object")
        for key, val in extra.items():
            if key in rec:
                raise SourceError("data repeats key %r" % key)
            rec[key] = val
    if not rec:
        raise SourceError("entry has no data")
    return rec


def parse_network(text, ip_version):
    """Return (bits, prefix_len) of network TEXT placed in the tree's address space."""
    try:
        net = ipaddress.ip_network(text, strict=True)
    except (TypeError, ValueError) as exc:
        raise SourceError("bad network %r: %s" % (text, exc)) from exc
    if net.version == 6 and net.prefixlen >= 96 and int(net.network_address) >> 32 in (0, 0xFFFF):
        # ::a.b.c.d/n and ::ffff:a.b.c.d/n: store it as the IPv4 network it names.
        net = ipaddress.ip_network((int(net.network_address) & 0xFFFFFFFF, net.prefixlen - 96))
    if net.version == 4:
        if ip_version == 4:
            return int(net.network_address), net.prefixlen, 32
        return int(net.network_address), net.prefixlen + 96, 128
    if ip_version == 4:
        raise SourceError("IPv6 network %s in an IPv4 database" % text)
    for alias in ("::/96",) + IPV4_ALIASES:
        if net.overlaps(ipaddress.ip_network(alias)):
            raise SourceError("%s overlaps %s, the IPv4 subtree or an alias of it" % (text, alias))
    return int(net.network_address), net.prefixlen, 128


class Node:
    """A search tree node; each side is None (empty), a Node, or a record index."""

    __slots__ = ("kids", "number")

    def __init__(self):
        self.kids = [None, None]
        self.number = -1


def insert(root, bits, plen, depth, value):
    """Put record VALUE at the network (BITS, PLEN) of a DEPTH-bit tree."""
    node = root
    for i in range(plen):
        bit = (bits >> (depth - 1 - i)) & 1
        if i == plen - 1:
            if isinstance(node.kids[bit], Node):
                raise SourceError("internal: more specific network inserted first")
            node.kids[bit] = value
            return
        child = node.kids[bit]
        if not isinstance(child, Node):
            # Split an empty or data side: both halves inherit its value.
            fresh = Node()
            fresh.kids = [child, child]
            node.kids[bit] = fresh
            child = fresh
        node = child


def find_node(root, bits, plen, depth):
    """Return the node at (BITS, PLEN), creating empty nodes on the way."""
    node = root
    for i in range(plen):
        bit = (bits >> (depth - 1 - i)) & 1
        child = node.kids[bit]
        if child is None:
            child = Node()
            node.kids[bit] = child
        elif not isinstance(child, Node):
            raise SourceError("internal: alias path holds data")
        node = child
    return node


def set_alias(root, alias, target):
    """Make the IPv6 network ALIAS lead to the TARGET node (the IPv4 subtree)."""
    net = ipaddress.ip_network(alias)
    parent = find_node(root, int(net.network_address), net.prefixlen - 1, 128)
    bit = (int(net.network_address) >> (128 - net.prefixlen)) & 1
    if parent.kids[bit] is not None:
        raise SourceError("internal: alias %s is not empty" % alias)
    parent.kids[bit] = target


def number_nodes(root):
    """Number the nodes breadth first (root 0); aliases are reached twice, numbered once."""
    order, queue = [], [root]
    root.number = 0
    while queue:
        node = queue.pop(0)
        order.append(node)
        for kid in node.kids:
            if isinstance(kid, Node) and kid.number < 0:
                kid.number = len(order) + len(queue)
                queue.append(kid)
    return order


def pack_node(left, right, record_size):
    """Return the bytes of one node with records LEFT and RIGHT."""
    if record_size == 24:
        return left.to_bytes(3, "big") + right.to_bytes(3, "big")
    if record_size == 28:
        middle = ((left >> 24) << 4) | (right >> 24)
        return (left & 0xFFFFFF).to_bytes(3, "big") + bytes([middle]) + \
            (right & 0xFFFFFF).to_bytes(3, "big")
    return left.to_bytes(4, "big") + right.to_bytes(4, "big")


def build(source, record_size=None, ip_version=6):
    """Return the bytes of the database described by SOURCE (parsed JSON)."""
    meta = {}
    entries = source
    if isinstance(source, dict):
        entries = source.get("networks")
        meta = {k: v for k, v in source.items() if k != "networks"}
        extra = set(meta) - {"database_type", "description", "build_epoch", "languages"}
        if extra:
            raise SourceError("unknown top-level keys %s" % ", ".join(sorted(extra)))
    if not isinstance(entries, list) or not entries:
        raise SourceError("the source needs a non-empty list of networks")

    depth = 128 if ip_version == 6 else 32
    parsed, seen = [], set()
    for idx, entry in enumerate(entries):
        where = "entry %d" % idx
        try:
            if not isinstance(entry, dict) or "network" not in entry:
                raise SourceError("needs a \"network\"")
            where = "entry %d (%s)" % (idx, entry["network"])
            bits, plen, _ = parse_network(entry["network"], ip_version)
            if (bits, plen) in seen:
                raise SourceError("network listed twice")
            seen.add((bits, plen))
            parsed.append((plen, idx, bits, make_record(entry)))
        except SourceError as exc:
            raise SourceError("%s: %s" % (where, exc)) from exc

    data = DataWriter()
    offsets = []
    root = Node()
    if ip_version == 6:
        ipv4_root = find_node(root, 0, 96, 128)
    # Shorter prefixes first, so that more specific networks overwrite inside them.
    for plen, idx, bits, rec in sorted(parsed, key=lambda p: (p[0], p[1])):
        offsets.append(data.write(rec))
        if plen == 0:
            raise SourceError("entry %d: a /0 network is not supported" % idx)
        insert(root, bits, plen, depth, len(offsets) - 1)
    if ip_version == 6:
        for alias in IPV4_ALIASES:
            set_alias(root, alias, ipv4_root)

    nodes = number_nodes(root)
    node_count = len(nodes)
    max_value = node_count + 16 + len(data.buf)
    if record_size is None:
        record_size = next((s for s in (24, 28, 32) if max_value < (1 << s)), None)
        if record_size is None:
            raise SourceError("database too large for 32-bit records")
    elif max_value >= (1 << record_size):
        raise SourceError("%d-bit records cannot address %d" % (record_size, max_value))

    def record(kid):
        if kid is None:
            return node_count
        if isinstance(kid, Node):
            return kid.number
        return node_count + 16 + offsets[kid]

    tree = b"".join(pack_node(record(n.kids[0]), record(n.kids[1]), record_size)
                    for n in nodes)

    epoch = meta.get("build_epoch", os.environ.get("SOURCE_DATE_EPOCH"))
    if epoch is None:
        epoch = int(time.time())
    try:
        epoch = int(epoch)
    except ValueError as exc:
        raise SourceError("build_epoch must be an integer") from exc
    if not 0 < epoch < (1 << 64):
        # libmaxminddb refuses a database whose build_epoch is 0.
        raise SourceError("build_epoch must be 1..2^64-1, not %d" % epoch)
    description = meta.get("description", "Breachwatch GeoIP database")
    if isinstance(description, str):
        description = {"en": description}
    metadata = {
        "binary_format_major_version": Typed("uint16", 2),
        "binary_format_minor_version": Typed("uint16", 0),
        "build_epoch": Typed("uint64", epoch),
        "database_type": meta.get("database_type", "Breachwatch-Geo"),
        "description": description,
        "ip_version": Typed("uint16", ip_version),
        "languages": meta.get("languages", ["en"]),
        "node_count": Typed("uint32", node_count),
        "record_size": Typed("uint16", record_size),
    }
    # The metadata is decoded on its own, so it must not hold pointers.
    meta_bytes = DataWriter(dedupe=False).encode(from_json(metadata))
    return tree + bytes(16) + bytes(data.buf) + METADATA_MARKER + meta_bytes


def main(argv):
    """Command line entry: parse options, build, write OUT atomically."""
    args, record_size, ip_version = [], None, 6
    it = iter(argv[1:])
    for arg in it:
        if arg in ("--record-size", "--ip-version"):
            val = next(it, None)
            if val not in (("24", "28", "32") if arg == "--record-size" else ("4", "6")):
                print("mkmmdb: bad value for %s: %s" % (arg, val), file=sys.stderr)
                return 2
            if arg == "--record-size":
                record_size = int(val)
            else:
                ip_version = int(val)
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(arg)
    if len(args) != 2:
        print("usage: mkmmdb.py [--record-size 24|28|32] [--ip-version 4|6] "
              "SOURCE.json OUT.mmdb", file=sys.stderr)
        return 2
    src, out = args
    try:
        with open(src, encoding="utf-8") as fh:
            source = json.load(fh)
        blob = build(source, record_size, ip_version)
    except (OSError, ValueError) as exc:
        print("mkmmdb: %s: %s" % (src, exc), file=sys.stderr)
        return 1
    except SourceError as exc:
        print("mkmmdb: %s: %s" % (src, exc), file=sys.stderr)
        return 1
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(blob)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
