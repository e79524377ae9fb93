#!/bin/sh
# Test fixture: writes its answer, closes stdout and stderr, and only exits a moment later.
echo "answer"
exec >&- 2>&-
sleep 0.3
exit 0
