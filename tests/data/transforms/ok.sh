#!/bin/sh
# Test fixture: upper-cases stdin to stdout, streaming.
exec tr 'a-z' 'A-Z'
