#!/bin/sh
# Test fixture: exits at once but leaves a child (same process group) holding stdout and stderr
# open; reports that child's pid on stderr.
sleep 600 &
echo "$!" >&2
exit 0
