#!/bin/sh
# Test fixture: 200 KiB on stderr (more than the 64 KiB kept), then exit 1.
echo "first line of the flood" >&2
head -c 204800 /dev/zero | tr '\000' 'e' >&2
exit 1
