#!/bin/sh
# Test fixture: reads all of stdin before writing anything (sort must see the end of its input),
# then writes it all back sorted.
LC_ALL=C
export LC_ALL
exec sort
