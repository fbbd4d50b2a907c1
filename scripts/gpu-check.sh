#!/usr/bin/env bash
# The GPU check (docs/performance.md "GPU"): the full glioma-mtl model with flip TTA on one synthetic case, on
# WebGPU and CPU in one run (plus a CUDA attempt), on a GPU host that has nothing installed and no network.
#
#   bash scripts/gpu-check.sh build [DIR]   here (Node, npm packages, apt): writes the bundle to DIR (gpu-bundle/)
#   bash scripts/gpu-check.sh run [DIR] [harness options]   on the GPU host: unpacks DIR and runs the check
#
# The bundle (<= 64 MiB, checked): node.xz (this Node binary), app.tar.xz (the compiled engine and the harness
# with only the JavaScript they load, onnxruntime-node's native library, the model package, one case already on
# the model grid as image.f32, and the Vulkan/GL loaders from Debian unpacked with dpkg -x). On the host the Vulkan
# loader finds the NVIDIA driver's ICD (written here from libGLX_nvidia.so.0 when the driver ships no ICD file).
# Harness options (run): --providers webgpu,cpu,cuda (default) --steady N (3) --threads N (0 = all cores).
# The report is printed, and written as gpu-check.json to $OUT (the device tool's result folder) or DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MAX_BYTES=$((64 * 1024 * 1024))
MODEL=models/glioma-mtl
DEBS=(libvulkan1 libglvnd0 libglx0 libgl1 libegl1)

die() { echo "gpu-check: $*" >&2; exit 2; }

build() {
  local out="${1:-$ROOT/gpu-bundle}"
  cd "$ROOT"
  command -v xz >/dev/null || die "build needs xz (apt-get install xz-utils)"
  [ -f "$MODEL/manifest.json" ] || die "$MODEL is not in this checkout"
  local stage; stage="$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle.XXXXXX")"
  trap 'rm -rf "$stage"' RETURN
  echo "gpu-check: compiling the engine (tsc -p tsconfig.build.json)"
  npx tsc -p tsconfig.build.json >/dev/null || die "tsc -p tsconfig.build.json failed: the bundle would carry stale code"

  local app="$stage/app"
  mkdir -p "$app/models" "$app/case" "$stage/debs"
  # Only the files the harness loads (it lists them), so the bundle carries no unused dependency.
  local nm_real; nm_real="$(realpath node_modules)"
  node dist/gpu-check/harness.js --list-modules | while IFS= read -r f; do
    case "$f" in
      "$ROOT"/dist/*) rel="${f#"$ROOT"/}" ;;
      "$nm_real"/*) rel="node_modules/${f#"$nm_real"/}" ;;
      *) die "the harness loads $f, outside dist/ and node_modules/" ;;
    esac
    mkdir -p "$app/$(dirname "$rel")"
    cp "$f" "$app/$rel"
    # Every package.json between the file and node_modules/: require() resolves entry points from them, and a
    # nested one (onnxruntime-common/dist/cjs) says whether the .js files there are CommonJS or ES modules.
    d="$(dirname "$rel")"
    while [[ "$d" == node_modules/* ]]; do
      [ -f "$nm_real/${d#node_modules/}/package.json" ] && [ ! -f "$app/$d/package.json" ] && cp "$nm_real/${d#node_modules/}/package.json" "$app/$d/package.json"
      d="$(dirname "$d")"
    done
  done
  # The binding loads libonnxruntime.so.1 from its own folder (rpath $ORIGIN); it is not a require()d file.
  local native; native="$(dirname "$(find "$app/node_modules/onnxruntime-node/bin" -name onnxruntime_binding.node | head -1)")"
  [ -d "$native" ] || die "onnxruntime_binding.node was not among the loaded files"
  cp "$nm_real/onnxruntime-node/${native#"$app"/node_modules/onnxruntime-node/}/libonnxruntime.so.1" "$native/"
  cp -r "$MODEL" "$app/models/"

  echo "gpu-check: one synthetic GBM case on the model grid (synth --training-set 1 --no-round-trip)"
  node dist/cli/main.js synth --training-set 1 --grid "$MODEL/manifest.json" --no-round-trip --drop-prob 0 \
    --tumor-mix gbm=1 --size small --seed gpu-check --vendors siemens --out "$stage/synth" >/dev/null
  cp "$stage/synth/case-00000/case.json" "$stage/synth/case-00000/image.f32" "$app/case/"

  echo "gpu-check: Vulkan and GL loaders from Debian (${DEBS[*]})"
  local cache="$ROOT/.cache/gpu-check-debs"
  mkdir -p "$cache"
  for d in "${DEBS[@]}"; do
    ls "$cache/${d}_"*.deb >/dev/null 2>&1 || (cd "$cache" && apt-get download "$d" >/dev/null 2>&1) || die "apt-get download $d failed (needs the Debian mirror once; then cached in $cache)"
  done
  for d in "${DEBS[@]}"; do dpkg -x "$(ls "$cache/${d}_"*.deb | tail -1)" "$stage/vulkan"; done
  rm -rf "$stage/vulkan/usr/share/doc" "$stage/vulkan/usr/share/lintian"
  mv "$stage/vulkan" "$app/vulkan"
  cp "$ROOT/scripts/gpu-check.sh" "$app/"

  rm -rf "$out"
  mkdir -p "$out"
  echo "gpu-check: compressing (xz -9)"
  # The Node binary compresses slowly (minutes) and rarely changes: kept compressed in .cache per version and size.
  local node_bin; node_bin="$(realpath "$(command -v node)")"
  local node_xz="$ROOT/.cache/gpu-check-node-$(node -p process.version)-$(stat -c %s "$node_bin").xz"
  [ -f "$node_xz" ] || { xz -9 -T1 -c "$node_bin" > "$node_xz.tmp" && mv "$node_xz.tmp" "$node_xz"; }
  cp "$node_xz" "$out/node.xz"
  tar -C "$stage" -cf - app | xz -9 -T1 > "$out/app.tar.xz"
  local total; total=$(du -cb "$out"/* | tail -1 | cut -f1)
  ls -l "$out" | tail -n +2 | awk '{printf "gpu-check:   %-12s %6.1f MiB\n", $9, $5 / 1048576}'
  awk -v t="$total" -v o="$out" 'BEGIN { printf "gpu-check: bundle %s: %.1f MiB of the 64 MiB allowed\n", o, t / 1048576 }'
  [ "$total" -le "$MAX_BYTES" ] || die "bundle is $total bytes, over 64 MiB"
}

# xz, else Python's lzma (hosts without xz-utils), else busybox.
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  elif command -v python3 >/dev/null; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  elif command -v busybox >/dev/null; then busybox xz -dc "$1" > "$2"
  else die "no xz, python3 or busybox to unpack the bundle"
  fi
}

# The NVIDIA Vulkan ICD: the driver's JSON when installed, else one written for libGLX_nvidia.so.0 (the driver's
# Vulkan implementation; containers often carry the library without the JSON).
nvidia_icd() {
  local w="$1" d f lib=""
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$d"/nvidia*.json; do [ -f "$f" ] && { echo "$f"; return; }; done
  done
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -f "$d/libGLX_nvidia.so.0" ] && { lib="$d/libGLX_nvidia.so.0"; break; }
  done
  [ -n "$lib" ] || lib="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true) | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}')"
  [ -n "$lib" ] || return 0
  printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$lib" > "$w/nvidia_icd.json"
  echo "$w/nvidia_icd.json"
}

run() {
  local dir="${1:-$ROOT/gpu-bundle}"
  shift || true
  [ -f "$dir/node.xz" ] && [ -f "$dir/app.tar.xz" ] || die "no bundle in $dir (build it with: bash scripts/gpu-check.sh build)"
  W="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
  trap 'rm -rf "$W"' EXIT
  local w="$W"
  unxz_to "$dir/node.xz" "$w/node"
  chmod +x "$w/node"
  unxz_to "$dir/app.tar.xz" "$w/app.tar"
  tar -C "$w" -xf "$w/app.tar"
  rm "$w/app.tar"
  local app="$w/app"
  export LD_LIBRARY_PATH="$app/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [ -z "${VK_ICD_FILENAMES:-}" ]; then
    local icd; icd="$(nvidia_icd "$w")"
    if [ -n "$icd" ]; then export VK_ICD_FILENAMES="$icd"; echo "gpu-check: Vulkan ICD $icd ($(grep -o '"library_path"[^,}]*' "$icd"))"
    else echo "gpu-check: no NVIDIA Vulkan driver found (libGLX_nvidia.so.0 or an ICD file): WebGPU will find no GPU adapter"
    fi
  fi
  if command -v nvidia-smi >/dev/null; then nvidia-smi -L | sed 's/^/gpu-check: /'; nvidia-smi --query-gpu=driver_version --format=csv,noheader | sed 's/^/gpu-check: NVIDIA driver /'
  else echo "gpu-check: nvidia-smi not found"
  fi
  local report="${OUT:-$dir}/gpu-check.json"
  set +e
  "$w/node" "$app/dist/gpu-check/harness.js" --model "$app/models/glioma-mtl" --case "$app/case" --json "$report" "$@"
  local rc=$?
  set -e
  echo "gpu-check: report $report (exit $rc)"
  return $rc
}

case "${1:-}" in
  build) shift; build "$@" ;;
  run) shift; run "$@" ;;
  *) die "usage: bash scripts/gpu-check.sh build [DIR] | run [DIR] [--providers webgpu,cpu,cuda] [--steady N] [--threads N]" ;;
esac
