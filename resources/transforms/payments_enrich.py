#!/usr/bin/env python3
"""Example transform for Sluice (and SingleStore): adds an amount band to CSV payments.

    CREATE PIPELINE payments AS LOAD DATA KAFKA '127.0.0.1:9092/payments'
    WITH TRANSFORM ('payments_enrich.py', '', '')
    INTO TABLE payments FIELDS TERMINATED BY ','
    (id, user, amount, ts, amount_band);

Input on stdin, SingleStore's transform protocol for Kafka pipelines: each message value as an
8-byte little-endian length followed by that many bytes. With the argument --raw (file pipelines,
which pass the file's bytes unframed) stdin is the CSV text itself.

Each message holds one or more lines "id,user,amount,ts" (amount in integer cents, "\\n" or
"\\r\\n" line ends; blank lines are ignored). Output on stdout, one line per payment:
"id,user,amount,ts,amount_band" where amount_band is small (< 1000), medium (< 10000) or large.

Deterministic: the same input always gives the same output, which exactly-once loading needs
(a batch that is redone after a crash must produce the same rows). A malformed line is reported
on stderr with its message and line number and the program exits with 1: the batch fails and
the message shows in PIPELINES_ERRORS.
"""

import struct
import sys
from decimal import Decimal, InvalidOperation


def fail(text):
    sys.stdout.flush()
    sys.stderr.write("payments_enrich.py: " + text + "\n")
    sys.exit(1)


def band(amount):
    if amount < 1000:
        return b"small"
    if amount < 10000:
        return b"medium"
    return b"large"


def messages(stream):
    index = 0
    while True:
        header = stream.read(8)
        if not header:
            return
        if len(header) != 8:
            fail("message %d: truncated length header" % index)
        (length,) = struct.unpack("<Q", header)
        value = stream.read(length)
        if len(value) != length:
            fail("message %d: %d of %d bytes" % (index, len(value), length))
        yield value
        index += 1


def enrich(index, value, out):
    for number, line in enumerate(value.split(b"\n"), start=1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            continue
        fields = line.split(b",")
        if len(fields) != 4:
            fail("message %d line %d: expected 4 fields (id,user,amount,ts), got %d"
                 % (index, number, len(fields)))
        try:
            amount = Decimal(fields[2].decode("ascii"))
        except (UnicodeDecodeError, InvalidOperation):
            fail("message %d line %d: amount is not a number: %r" % (index, number, fields[2]))
        out.write(line + b"," + band(amount) + b"\n")


def main():
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    if "--raw" in sys.argv[1:]:
        enrich(0, stdin.read(), out)
    else:
        for index, value in enumerate(messages(stdin)):
            enrich(index, value, out)
    out.flush()


if __name__ == "__main__":
    main()
