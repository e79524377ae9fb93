#!/bin/sh
# Test fixture: binary garbage on stdout (NUL, 0xff, no final newline), exit 0. The runner must
# hand it back byte for byte; parsing it is the format's business.
cat >/dev/null
printf '\000\377\376"unclosed,\001\n\000tail'
