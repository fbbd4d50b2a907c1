#!/usr/bin/env bash
# Reproduces both reference model packages from nothing: data -> training -> evaluation -> ONNX export ->
# onnxruntime-node verification -> models/<name>/{model.onnx,manifest.json,MODEL_CARD.md}.
#
#   bash training/train_all.sh                 # everything (≈ 1.5–2 h on this 2-vCPU VM; resumable)
#   QUICK=1 bash training/train_all.sh         # smoke run: tiny data, few iterations, packages to training/runs/quick
#
# Two data sources, both from the real ch2 anatomy of Debian mricron-data, mixed for training:
#   - node:   `neuro-onc-node synth --training-set` (full DICOM studies through the node's own toModelGrid),
#   - python: training/nonc/ch2_phantom.py (directly on the model grid; fast, more cases per CPU minute).
# Environment: GLIOMA_ITERS, METS_ITERS, THREADS (per process), NICE, VERSION.
# Uses Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx 1.12), never the pyenv python first in PATH.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
NICE=${NICE:-15}
THREADS=${THREADS:-1}   # per process; the two trainings run in parallel (better than 2 OpenMP threads on a busy VM)
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  D=runs/quick/data; R=runs/quick; PKG=runs/quick/models
  GLIOMA_ITERS=${GLIOMA_ITERS:-20}; METS_ITERS=${METS_ITERS:-20}; SCALE=0
else
  D=data; R=runs; PKG=../models
  GLIOMA_ITERS=${GLIOMA_ITERS:-1800}; METS_ITERS=${METS_ITERS:-1700}; SCALE=1
fi
run() { echo "+ $*" >&2; nice -n "$NICE" "$@"; }
n() { if [ "$SCALE" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# 0. The node CLI, compiled into an ignored folder (the synth export is TypeScript).
if [ ! -f runs/dist/cli/main.js ]; then (cd .. && run npx tsc -p tsconfig.build.json --outDir training/runs/dist); fi
NODE_CLI="node runs/dist/cli/main.js"

# 1. Data. Training: vendors siemens+ge. Held-out: unseen seeds; "philips" is a vendor profile never used in training.
py_set() { # name seed vendors gbm astro oligo mets none
  [ -f "$D/ch2/$1/index.json" ] || run $PY -m nonc.ch2_phantom --out "$D/ch2/$1" --seed "$2" --vendors "$3" \
    --gbm "$4" --astro "$5" --oligo "$6" --mets "$7" --none "$8"
}
node_set() { # name count seed vendors mix
  [ -f "$D/node/$1/index.json" ] || run $NODE_CLI synth --training-set "$2" --out "$D/node/$1" --seed "$3" \
    --size small --vendors "$4" --tumor-mix "$5" --drop-prob 0
}
py_set glioma-train 100000 siemens,ge "$(n 60 3)" "$(n 50 3)" "$(n 50 3)" 0 "$(n 20 1)"
py_set glioma-test-seen 800000 siemens,ge "$(n 10 1)" "$(n 10 1)" "$(n 10 1)" 0 "$(n 2 1)"
py_set glioma-test-philips 900000 philips "$(n 14 1)" "$(n 13 1)" "$(n 13 1)" 0 "$(n 4 1)"
py_set mets-train 200000 siemens,ge 0 0 0 "$(n 100 6)" "$(n 12 1)"
py_set mets-test-philips 910000 philips 0 0 0 "$(n 40 2)" "$(n 4 1)"
node_set glioma-train "$(n 80 6)" node-train-glioma siemens,ge gbm=0.35,astro=0.3,oligo=0.25,none=0.1
node_set glioma-train2 "$(n 100 2)" node-train-glioma-2 siemens,ge gbm=0.35,astro=0.3,oligo=0.25,none=0.1
node_set mets-train "$(n 40 4)" node-train-mets siemens,ge mets=0.9,none=0.1
node_set mets-train2 "$(n 60 2)" node-train-mets-2 siemens,ge mets=0.9,none=0.1
node_set glioma-test-philips "$(n 40 4)" node-test-philips philips gbm=0.3,astro=0.3,oligo=0.3,none=0.1
node_set mets-test-philips "$(n 30 3)" node-mets-test-philips philips mets=0.9,none=0.1

# 2. Training, both models in parallel (resumable: rerunning continues from runs/<task>/last.pt). Node-exported cases
#    are sampled 3x as often as python-generated ones (":3"): they are what the node feeds at inference.
run $PY -m nonc.train --task glioma --data $D/ch2/glioma-train --data $D/node/glioma-train:3 \
  --data $D/node/glioma-train2:3 --out $R/glioma --iters "$GLIOMA_ITERS" --patch 48 --lr 2e-3 --widths 8,16,32,64 \
  --eval-every 250 --val-max 8 --ckpt-every 25 --threads "$THREADS" --freeze-bn-after $((GLIOMA_ITERS * 3 / 4)) &
G=$!
run $PY -m nonc.train --task mets --data $D/ch2/mets-train --data $D/node/mets-train:3 --data $D/node/mets-train2:3 \
  --out $R/mets --iters "$METS_ITERS" --patch 48 --lr 2e-3 --widths 8,16,32,64 --eval-every 250 --val-max 8 \
  --ckpt-every 25 --threads "$THREADS" --freeze-bn-after $((METS_ITERS * 3 / 4)) &
M=$!
wait $G; wait $M
# Metastasis GTV operating point on the validation split (suppresses extracranial false positives).
run $PY -m nonc.tune_bias --task mets --run $R/mets --checkpoint last.pt --out tuned.pt \
  --train-data $D/ch2/mets-train --train-data $D/node/mets-train --train-data $D/node/mets-train2

# 3. Held-out evaluation (+ temperature fitting on the validation split), both in parallel.
run $PY -m nonc.evaluate --task glioma --run $R/glioma --train-data $D/ch2/glioma-train --train-data $D/node/glioma-train \
  --train-data $D/node/glioma-train2 --val-subsets "full,no FLAIR" --val-max 24 \
  --test "node-unseen-vendor=$D/node/glioma-test-philips" --test "python-unseen-vendor=$D/ch2/glioma-test-philips" \
  --full-only python-unseen-vendor --subsets "full,no FLAIR,no T1ce,no T2,no T1,T1ce only" \
  --out $R/glioma/eval.json --threads "$THREADS" &
G=$!
run $PY -m nonc.evaluate --task mets --run $R/mets --train-data $D/ch2/mets-train --train-data $D/node/mets-train \
  --train-data $D/node/mets-train2 --checkpoint tuned.pt --val-subsets "full,T1ce only" --full-only python-unseen-vendor --test "node-unseen-vendor=$D/node/mets-test-philips" \
  --test "python-unseen-vendor=$D/ch2/mets-test-philips" --out $R/mets/eval.json --threads "$THREADS" &
M=$!
wait $G; wait $M

# 4. Packages (ONNX export, onnx.checker, onnxruntime-node vs PyTorch, manifest with temperatures + sha256, card),
#    and the regression fixtures of test/training (held-out node-export crops).
STATEMENT="Synthetic studies from real anatomy (Debian mricron-data ch2/ch2bet template) with simulated contrasts, bias field, noise and tumours following published imaging phenotypes: neuro-onc-node synth --training-set (DICOM studies through the node's own preprocessing) mixed with training/nonc/ch2_phantom.py (generated directly on the model grid); vendor profiles siemens/ge for training. Performance on synthetic data is not clinical performance."
VERSION=${VERSION:-0.1.0}
run $PY -m nonc.package --task glioma --run $R/glioma --eval $R/glioma/eval.json --data $D/node/glioma-test-philips \
  --version "$VERSION" --out $PKG/glioma-mtl --training-data "$STATEMENT" --minimum-sets "flair;t2"
run $PY -m nonc.package --task mets --run $R/mets --eval $R/mets/eval.json --data $D/node/mets-test-philips \
  --version "$VERSION" --out $PKG/brainmets-egfr --training-data "$STATEMENT" --minimum-sets "t1ce"
[ "$QUICK" = 1 ] || run $PY -m nonc.fixtures --out ../test/training/fixtures --glioma $D/node/glioma-test-philips \
  --mets $D/node/mets-test-philips
echo "packages written to $PKG"
