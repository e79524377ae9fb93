#!/bin/sh
# Test fixture: prints the working directory, then each argument on its own line.
pwd
for a in "$@"; do
    printf '%s\n' "$a"
done
