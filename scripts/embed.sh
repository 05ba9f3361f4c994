#!/bin/sh
# Writes a C file defining `const unsigned char NAME[]` (the bytes of FILE,
# NUL-terminated) and `const size_t NAME_len` (without the NUL), so the
# daemon carries its OpenAPI document and needs no file at run time.
#   sh scripts/embed.sh NAME FILE > out.c
set -eu
name=$1
file=$2
echo "/* Generated from $file by scripts/embed.sh: do not edit. */"
echo "#include <stddef.h>"
echo "extern const unsigned char ${name}[];"
echo "extern const size_t ${name}_len;"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/ *$//' -e 's/  */ /g' -e 's/^ //' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00};"
echo "const size_t ${name}_len = sizeof(${name}) - 1;"
