#!/usr/bin/env python3
# Test fixture: decodes SingleStore's framing (8-byte little-endian length + bytes) from stdin and
# writes one line per message: "<length>:<bytes with \ and newline escaped>". Exits 2 on a
# truncated frame.
import struct
import sys

inp = sys.stdin.buffer
out = sys.stdout.buffer
while True:
    header = inp.read(8)
    if not header:
        break
    if len(header) != 8:
        sys.stderr.write("truncated header\n")
        sys.exit(2)
    (n,) = struct.unpack("<Q", header)
    data = inp.read(n)
    if len(data) != n:
        sys.stderr.write("truncated message\n")
        sys.exit(2)
    out.write(b"%d:%s\n" % (n, data.replace(b"\\", b"\\\\").replace(b"\n", b"\\n")))
