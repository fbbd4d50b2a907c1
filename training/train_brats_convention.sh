#!/usr/bin/env bash
# Reproduces models/glioma-brats-convention: template-space data through the node -> fine-tuning from glioma-mtl's
# weights -> ONNX export verified with onnxruntime-node -> comparison with glioma-mtl on the same held-out studies
# through the node -> model card.
#
#   bash training/train_brats_convention.sh            # continue from the committed checkpoint when there is one
#   ITERS=2000 bash training/train_brats_convention.sh # train on to 2000 iterations (resumes; the cosine schedule
#                                                      # is over ITERS, so change ITERS only between whole runs)
#
# Resumable across sessions: training/checkpoints/glioma-brats-convention/last.pt (optimizer state included) is
# committed after every run, and runs.json records each run's iterations, wall time and threads.
# Environment: N (training cases, 52), ITERS (1200), THREADS (2), MAX_MINUTES (per run, 45), STUDIES (comparison, 12).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
N=${N:-52}; ITERS=${ITERS:-1200}; THREADS=${THREADS:-2}; MAX_MINUTES=${MAX_MINUTES:-45}; STUDIES=${STUDIES:-12}
D=data/brats1/glioma-train; R=runs/glioma-brats; CK=checkpoints/glioma-brats-convention; PKG=../models/glioma-brats-convention
run() { echo "+ $*" >&2; nice -n 10 "$@"; }
export MAX_MINUTES
. ./checkpoints.sh

# 0. The node, compiled into an ignored folder (the export and the comparison run the node's own code).
(cd .. && run npx tsc -p tsconfig.build.json --outDir training/runs/dist)

# 1. Template-space training data: each case through DICOM, atlas registration, brain extraction, 2 mm template grid
#    (the manifest's preprocessing), ≈ 25 s CPU per case on the build machine.
[ -f "$D/index.json" ] || run node runs/dist/cli/main.js synth --training-set "$N" --out "$D" --seed brats1-glioma-train \
  --size small --vendors siemens,ge --tumor-mix gbm=0.35,astro=0.3,oligo=0.25,none=0.1 --drop-prob 0 \
  --grid "$PKG/manifest.json" --jobs 2

# 2. Fine-tuning from glioma-mtl (same network); BatchNorm frozen from the start so the restored weights compute what
#    glioma-mtl's graph computes. Resumes from the committed checkpoint (training/checkpoints.sh).
RESUME=1
rc=0
train_stage glioma-brats-convention "$R" "$THREADS" -- --task glioma-brats --data "$D" \
  --iters "$ITERS" --patch 48 --batch 2 --lr 1e-3 --widths 8,16,32,64 --region-weights 1,1.5,2 --p-bright 0.1 \
  --eval-every 250 --val-fraction 0.1 --val-max 6 --ckpt-every 25 --freeze-bn-after 0 \
  --init-onnx ../models/glioma-mtl/model.onnx || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 2 ] || exit "$rc"
if [ "$rc" = 2 ]; then echo "training stopped after $MAX_MINUTES min: commit $CK and rerun" >&2; exit 0; fi

# 3. Export (model.onnx + sha256 in the manifest), compare with glioma-mtl through the node, then the model card.
run $PY -m nonc.brats_package --run "$R" --data "$D" --runs-log "$CK/runs.json" --out "$PKG"
run node compare_spaces.js --dist runs/dist --models ../models --studies "$STUDIES" --out "$R/compare.json"
run $PY -m nonc.brats_package --run "$R" --data "$D" --runs-log "$CK/runs.json" --compare "$R/compare.json" --out "$PKG"
