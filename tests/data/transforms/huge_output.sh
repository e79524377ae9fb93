#!/bin/sh
# Test fixture: writes 8 MiB of 'x' (far more than a pipe buffer) without reading stdin.
head -c 8388608 /dev/zero | tr '\000' 'x'
