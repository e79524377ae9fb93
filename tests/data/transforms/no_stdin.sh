#!/bin/sh
# Test fixture: exits at once without reading stdin.
echo done
