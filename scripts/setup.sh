#!/usr/bin/env bash
# Makes a fresh Debian machine (run as root) ready for `npm test`, `npm run demo` and `npm run bench`:
# installs the Debian packages the node and its tests use when they are missing, then the npm packages;
# with --with-viewer (npm test) also the OHIF viewer build the viewer test loads results in.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a file that proves it is installed.
declare -A probes=(
  [orthanc]=/usr/sbin/Orthanc
  [orthanc-dicomweb]=/usr/lib/orthanc/libOrthancDicomWeb.so.1.7
  [dcmtk]=/usr/bin/storescu
  [dicom3tools]=/usr/bin/dciodvfy
  [dcm2niix]=/usr/bin/dcm2niix
  [mricron-data]=/usr/share/mricron/templates/ch2.nii.gz
  [chromium]=/usr/bin/chromium
  [sqlite3]=/usr/bin/sqlite3
  [libgdcm-tools]=/usr/bin/gdcmconv
  [libdcmtk-dev]=/usr/include/dcmtk/dcmdata/dcfilefo.h
  # PyTorch's grid_sample is the independent peer of our trilinear resampling (test/imaging/resample.test.ts).
  [python3-torch]=/usr/lib/python3/dist-packages/torch/__init__.py
  [python3-numpy]=/usr/lib/python3/dist-packages/numpy/__init__.py
  # promtool (Prometheus) lints the node's /metrics output (test/metrics/metrics.test.ts).
  [prometheus]=/usr/bin/promtool
  # A real SMTP server for the notification e-mail test (test/notify/notify.test.ts).
  [python3-aiosmtpd]=/usr/lib/python3/dist-packages/aiosmtpd/__init__.py
  # The PDF report embeds DejaVu Sans (src/encoders/pdf/truetype-font.ts); pdffonts/pdftotext check it.
  [fonts-dejavu-core]=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
  [poppler-utils]=/usr/bin/pdffonts
  # The audit trail's ATNA export goes to a real rsyslog (with its OpenSSL TLS driver) and every message is
  # validated against the DICOM audit message schema with jing (test/audit/atna-export.test.ts).
  [rsyslog]=/usr/sbin/rsyslogd
  [rsyslog-openssl]=/usr/lib/*/rsyslog/lmnsd_ossl.so  # any architecture: checked by glob below
  [jing]=/usr/bin/jing
  # Redis for the distributed mode's queue (BullMQ); tests start their own redis-server (test/helpers/redis.ts).
  [redis-server]=/usr/bin/redis-server
  # The elastix command line is the peer of the WebAssembly registration engine (test/registration, bench S9).
  [elastix]=/usr/bin/elastix
)
missing=()
for pkg in "${!probes[@]}"; do
  # orthanc-dicomweb's library version differs between Debian releases: accept any.
  if [ "$pkg" = orthanc-dicomweb ]; then
    compgen -G '/usr/lib/orthanc/libOrthancDicomWeb.so*' >/dev/null && continue
  elif [ "$pkg" = rsyslog-openssl ]; then
    compgen -G '/usr/lib/*/rsyslog/lmnsd_ossl.so' >/dev/null && continue
  elif [ -e "${probes[$pkg]}" ]; then
    continue
  fi
  missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "setup: need root to apt-get install ${missing[*]} (run as root or install them first)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Orthanc's package would start a system-wide server on 8042/4242; the node and its tests
  # start their own on other ports, so keep the service from starting during install.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.neuro-onc-node
  chmod +x /usr/sbin/policy-rc.d.neuro-onc-node
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy = 0 ] && cp /usr/sbin/policy-rc.d.neuro-onc-node /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $had_policy = 0 ] && rm -f /usr/sbin/policy-rc.d
  rm -f /usr/sbin/policy-rc.d.neuro-onc-node
fi

# npm packages: (re)install when node_modules is absent or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# The viewer test (test/viewer/ohif.test.ts) needs the OHIF viewer's static build: only for `npm test`.
if [ "${1:-}" = --with-viewer ]; then
  bash scripts/fetch-ohif.sh
fi
