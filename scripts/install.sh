#!/usr/bin/env bash
# Runtime-only install of neuro-onc-node on a production host (run as root from a checkout):
# what `serve` needs and nothing else - no Orthanc, Chromium, DCMTK, dicom3tools, python3-torch or prometheus
# (those are test peers, installed by scripts/setup.sh for `npm test`).
#
#   bash scripts/install.sh [--prefix /opt/neuro-onc-node] [--data-dir /var/lib/neuro-onc-node]
#                           [--config-dir /etc/neuro-onc-node] [--user neuro-onc] [--unit-dir /etc/systemd/system]
#                           [--no-user] [--no-systemd]
#
# Copies the compiled node (dist/), its launcher, the model packages and the production npm packages (dev
# packages pruned, other platforms' onnxruntime binaries removed) to the prefix; creates the service user and its
# data folder; writes a commented node.yaml (never overwrites one); installs the systemd unit (not enabled: review
# node.yaml first, then `systemctl enable --now neuro-onc-node`). Idempotent: re-run it to upgrade in place.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(pwd)"

prefix=/opt/neuro-onc-node
data_dir=/var/lib/neuro-onc-node
config_dir=/etc/neuro-onc-node
user=neuro-onc
unit_dir=/etc/systemd/system
make_user=1
systemd=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --config-dir) config_dir="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --unit-dir) unit_dir="$2"; shift 2 ;;
    --no-user) make_user=0; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for p in "$prefix" "$data_dir" "$config_dir" "$unit_dir"; do
  case "$p" in /*) ;; *) echo "install: paths must be absolute: $p" >&2; exit 2 ;; esac
done

node_bin="$(command -v node || true)"
if [ -z "$node_bin" ]; then
  echo "install: Node.js 20 or 22 is required (Debian 12's nodejs is 18: use NodeSource's or your site's Node.js 20 package)" >&2
  exit 1
fi
major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ] || [ "$major" -gt 22 ]; then
  echo "install: Node.js $("$node_bin" --version) found at $node_bin; neuro-onc-node needs 20 to 22" >&2
  exit 1
fi

# The PDF report embeds DejaVu Sans (src/encoders/pdf): the one Debian package the runtime uses.
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "install: installing fonts-dejavu-core (fonts for the PDF report)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null
  else
    echo "install: fonts-dejavu-core is missing: PDF reports will use Helvetica, not embedded" >&2
  fi
fi

# Build in the checkout when needed (needs the dev packages there: `npm ci` once).
if [ ! -d node_modules ]; then
  echo "install: installing npm packages in the checkout (npm ci)"
  npm ci --no-audit --no-fund
fi
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -name '*.ts' -newer dist/cli/main.js -print -quit)" ]; then
  echo "install: compiling (npm run build)"
  npm run --silent build
fi

echo "install: copying the node to $prefix"
mkdir -p "$prefix"
stage="$(mktemp -d "$prefix/.install.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -a dist bin models package.json package-lock.json README.md "$stage"/
mkdir -p "$stage/docs" "$stage/deploy" && cp -a docs/. "$stage/docs/" && cp -a deploy/. "$stage/deploy/"
# The checkout's node_modules already holds the compiled native addons (better-sqlite3): copy, then prune offline.
cp -a node_modules "$stage/node_modules"
(cd "$stage" && npm prune --omit=dev --no-audit --no-fund --offline >/dev/null)
ort_bin="$stage/node_modules/onnxruntime-node/bin"
if [ -d "$ort_bin" ]; then
  arch="$("$node_bin" -p process.arch)"
  find "$ort_bin" -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} +
  find "$ort_bin" -mindepth 3 -maxdepth 3 -type d ! -name "$arch" -exec rm -rf {} +
fi
rm -rf "$stage/dist/bench" "$stage/dist/testing" "$stage/dist-check"
# Swap in the new tree; the old one goes only once the new one is complete.
for item in dist bin models node_modules docs deploy package.json package-lock.json README.md; do
  [ -e "$stage/$item" ] || continue
  rm -rf "$prefix/$item.old"
  [ -e "$prefix/$item" ] && mv "$prefix/$item" "$prefix/$item.old"
  mv "$stage/$item" "$prefix/$item"
  rm -rf "$prefix/$item.old"
done

fill() { # template -> file with the paths filled in
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@DATA_DIR@|$data_dir|g" -e "s|@CONFIG_DIR@|$config_dir|g" \
      -e "s|@USER@|$user|g" -e "s|@NODE@|$node_bin|g" "$1" > "$2"
}

mkdir -p "$config_dir" "$data_dir"
if [ ! -e "$config_dir/node.yaml" ]; then
  fill deploy/node.yaml "$config_dir/node.yaml"
  echo "install: wrote $config_dir/node.yaml (review it: destinations, allowed AE titles, users)"
else
  echo "install: kept the existing $config_dir/node.yaml"
fi

if [ "$make_user" = 1 ]; then
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --home-dir "$data_dir" --no-create-home --shell /usr/sbin/nologin "$user"
    echo "install: created system user $user"
  fi
  chown -R "$user:$user" "$data_dir"
  chmod 0750 "$data_dir"
  chown "root:$user" "$config_dir" "$config_dir/node.yaml"
  chmod 0750 "$config_dir"; chmod 0640 "$config_dir/node.yaml"
fi

if [ "$systemd" = 1 ]; then
  mkdir -p "$unit_dir"
  fill deploy/systemd/neuro-onc-node.service "$unit_dir/neuro-onc-node.service"
  echo "install: wrote $unit_dir/neuro-onc-node.service"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    echo "install: start it with: systemctl enable --now neuro-onc-node; logs: journalctl -u neuro-onc-node"
  else
    echo "install: systemd is not running here; the unit is in place for when it is"
  fi
fi
echo "install: done. Check it with: $prefix/bin/neuro-onc-node.js -c $config_dir/node.yaml --version"
