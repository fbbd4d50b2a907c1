#!/usr/bin/env bash
# Fetches the prebuilt OHIF Viewer 3 (the npm package @ohif/app ships its production build in dist/, MIT licence)
# into .cache/ for test/viewer/ohif.test.ts, which loads our SEG/SR in it from a real PACS. Pinned version and
# tarball hash; only the npm registry is contacted (as `npm ci` does). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

OHIF_VERSION=3.13.2
OHIF_SHA512='WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=='
dest=".cache/ohif-app-${OHIF_VERSION}"

[ -f "$dest/dist/index.html" ] && exit 0
echo "setup: fetching the OHIF viewer ${OHIF_VERSION} (npm @ohif/app, about 50 MB) for the viewer test"
mkdir -p .cache
tmp="$(mktemp -d .cache/ohif-download.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --no-fund "@ohif/app@${OHIF_VERSION}" >/dev/null)
tgz="$tmp/ohif-app-${OHIF_VERSION}.tgz"
got="$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
if [ "$got" != "$OHIF_SHA512" ]; then
  echo "setup: @ohif/app@${OHIF_VERSION} tarball hash mismatch (got sha512-$got)" >&2
  exit 1
fi
mkdir -p "$tmp/x"
tar -xzf "$tgz" -C "$tmp/x" --strip-components=1 package/dist package/LICENSE
rm -rf "$dest"
mv "$tmp/x" "$dest"
