#!/bin/sh
# Example transform for Sluice (and SingleStore) in plain sh: upper-cases the user field of CSV
# payments "id,user,amount,ts" and passes everything else through unchanged.
#
#   CREATE PIPELINE p AS LOAD DATA KAFKA '127.0.0.1:9092/payments'
#   WITH TRANSFORM ('upper_user.sh', '', '') INTO TABLE payments FIELDS TERMINATED BY ',';
#
# Input: SingleStore's transform protocol, each message value as an 8-byte little-endian length
# followed by the bytes. The framing is read without python: `head -c 8 | od` decodes the length
# and `head -c LEN` takes exactly that message (head reads no more than it is asked for, so the
# next header stays in the pipe). head -c is GNU coreutils / BSD, not strict POSIX. Each message
# costs a few processes: fine for an example, slow for large batches (use a compiled or python
# transform there).
#
# Deterministic (same input, same output). A truncated length header exits 1 with a message on
# stderr; a message shorter than its header says is passed through as far as it goes.
while :; do
    header=$(head -c 8 | od -An -v -tu1) || exit 1
    [ -n "$header" ] || break
    # shellcheck disable=SC2086 # word splitting of the eight numbers is the point
    set -- $header
    if [ "$#" -ne 8 ]; then
        echo "upper_user.sh: truncated length header" >&2
        exit 1
    fi
    len=$(( $1 + ($2 << 8) + ($3 << 16) + ($4 << 24) + ($5 << 32) + ($6 << 40) + ($7 << 48) \
        + ($8 << 56) ))
    head -c "$len" | awk -F, -v OFS=, '{
        sub(/\r$/, "")
        if ($0 == "") next
        if (NF >= 2) $2 = toupper($2)
        print
    }'
done
