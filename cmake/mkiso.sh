#!/bin/sh
# mkiso.sh OUT.iso DIR LOG: grub-mkrescue with its chatter in LOG, shown on failure.
out=$1 dir=$2 log=$3
grub-mkrescue -o "$out" "$dir" > "$log" 2>&1 || { cat "$log"; exit 1; }
