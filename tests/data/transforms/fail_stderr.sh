#!/bin/sh
# Test fixture: reads its input, writes a little output and two stderr lines, exits 3.
cat >/dev/null
echo "partial"
printf 'bad record in message 2\r\nsecond line\n' >&2
exit 3
