#!/bin/sh
# Test fixture: never finishes. Reports the pid of its own child (same process group) on stderr
# so a test can check that a timeout kills the whole group.
sleep 600 &
echo "$!" >&2
wait
