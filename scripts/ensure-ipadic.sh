#!/usr/bin/env bash
# Makes sure the IPADIC sources for Japanese search are on disk, in UTF-8: downloads Debian's
# `mecab-ipadic` package (the dictionary's MeCab CSV and .def files, EUC-JP), unpacks it without
# installing anything, and converts the files to UTF-8 in .cache/mecab-ipadic-utf8 (or
# $KOSODATE_IPADIC_SOURCE). kosodate builds its search dictionary from them. Needs apt (Debian);
# runs `apt-get update` first when the package lists are missing (as root). Idempotent; prints
# nothing when there is nothing to do. Works from any working directory.
#
# IPADIC is © NAIST, under a BSD-style licence with ICOT's terms; its copyright file is copied
# next to the dictionary and must travel with it.
set -euo pipefail

cd "$(dirname "$0")/.."
target=${KOSODATE_IPADIC_SOURCE:-.cache/mecab-ipadic-utf8}

if [ -f "$target/.complete" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

download() {
  (cd "$work" && apt-get download mecab-ipadic >/dev/null 2>&1)
}

if ! download; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "ensure-ipadic: updating Debian's package lists" >&2
    apt-get update -qq
  fi
  download || {
    echo "ensure-ipadic: cannot download Debian's mecab-ipadic (apt-get download mecab-ipadic)" >&2
    exit 1
  }
fi

echo "ensure-ipadic: unpacking mecab-ipadic into $target" >&2
dpkg-deb -x "$work"/mecab-ipadic_*_all.deb "$work/root"
source_dir="$work/root/usr/share/mecab/dic/ipadic"
rm -rf "$target"
mkdir -p "$target"
for file in "$source_dir"/*.csv "$source_dir"/*.def; do
  iconv -f EUC-JP -t UTF-8 "$file" > "$target/$(basename "$file")"
done
cp "$work/root/usr/share/doc/mecab-ipadic/copyright" "$target/COPYRIGHT"
dpkg-deb -f "$work"/mecab-ipadic_*_all.deb Version > "$target/VERSION"
touch "$target/.complete"
