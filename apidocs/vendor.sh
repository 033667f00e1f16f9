#!/usr/bin/env bash
# Vendors Redoc's standalone bundle, which /docs embeds, from npm at the
# pinned version; `go generate ./apidocs` runs it. npm checks the tarball
# against the registry's hash, this script against the pinned one, so a
# republished or altered tarball fails here. It records the version and
# the bundle's checksum in redoc.pin; with --check it only checks, offline,
# that the bundle and redoc.pin are what it made from the pin (CI does).
#
# To upgrade: set version, empty integrity, run it, and pin the integrity
# it prints.
set -euo pipefail
cd "$(dirname "$0")"

version=2.5.4
integrity=sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==

if [ "${1:-}" = --check ]; then
  if [ "$(sed -n 1p redoc.pin)" != "redoc@$version $integrity" ]; then
    echo "apidocs/redoc.pin is not redoc@$version: run apidocs/vendor.sh" >&2
    exit 1
  fi
  sed -n 2p redoc.pin | sha256sum --strict --quiet -c -
  exit
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
got=$(npm pack --silent --json --pack-destination "$tmp" "redoc@$version" | jq -r '.[0].integrity')
if [ "$got" != "$integrity" ]; then
  echo "redoc@$version: tarball integrity $got, pinned $integrity" >&2
  exit 1
fi
tar -xzf "$tmp/redoc-$version.tgz" -C "$tmp"
cp "$tmp/package/bundles/redoc.standalone.js" redoc.standalone.js
# Redoc's licence, and those of the libraries bundled with it.
cp "$tmp/package/LICENSE" LICENSE.redoc
cp "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" redoc.standalone.js.LICENSE.txt
{
  echo "redoc@$version $integrity"
  sha256sum redoc.standalone.js
} >redoc.pin
echo "vendored redoc@$version"
