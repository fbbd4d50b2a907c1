#!/usr/bin/env bash
# Reproduces both reference model packages from nothing: data -> training -> evaluation -> ONNX export ->
# onnxruntime-node verification -> models/<name>/{model.onnx,manifest.json,MODEL_CARD.md}.
#
#   bash training/train_all.sh                 # everything (see training/README.md for measured times; resumable)
#   QUICK=1 bash training/train_all.sh         # smoke run: tiny data, few iterations, packages to training/runs/quick
#
# Data: only `neuro-onc-node synth --training-set` (full DICOM studies from the real ch2 anatomy of Debian
# mricron-data, through the node's own DICOM decoding and toModelGrid): exactly what the node feeds the models.
# Training vendors siemens+ge; validation on separate seeds; held-out test on unseen seeds and the philips profile.
# Environment: GLIOMA_ITERS, METS_ITERS, THREADS (torch threads per training), NICE, VERSION, JOBS (export processes).
# Uses Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx 1.12), never the pyenv python first in PATH.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
NICE=${NICE:-10}
THREADS=${THREADS:-1}   # per training; the two trainings run in parallel (one core each)
JOBS=${JOBS:-2}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  D=runs/quick/data; R=runs/quick; PKG=runs/quick/models
  GLIOMA_ITERS=${GLIOMA_ITERS:-20}; METS_ITERS=${METS_ITERS:-20}; SCALE=0
else
  D=data/v5; R=runs; PKG=../models
  GLIOMA_ITERS=${GLIOMA_ITERS:-3000}; METS_ITERS=${METS_ITERS:-3000}; SCALE=1
fi
run() { echo "+ $*" >&2; nice -n "$NICE" "$@"; }
n() { if [ "$SCALE" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# 0. The node CLI, compiled into an ignored folder (the synth export is TypeScript); always rebuilt so that the data
#    follow the current src/synth.
(cd .. && run npx tsc -p tsconfig.build.json --outDir training/runs/dist)
NODE_CLI="node runs/dist/cli/main.js"

# 1. Data (each set is skipped when its index.json exists; ≈ 1–2 s CPU per case).
node_set() { # name count seed vendors mix
  [ -f "$D/$1/index.json" ] || run $NODE_CLI synth --training-set "$2" --out "$D/$1" --seed "$3" \
    --size small --vendors "$4" --tumor-mix "$5" --drop-prob 0 --jobs "$JOBS"
}
GM=gbm=0.35,astro=0.3,oligo=0.25,none=0.1
node_set glioma-train "$(n 400 8)" node5-glioma-train siemens,ge "$GM"
node_set glioma-val "$(n 40 4)" node5-glioma-val siemens,ge "$GM"
node_set glioma-test-philips "$(n 60 4)" node5-glioma-test-philips philips gbm=0.3,astro=0.3,oligo=0.3,none=0.1
node_set mets-train "$(n 250 6)" node5-mets-train siemens,ge mets=0.9,none=0.1
node_set mets-val "$(n 30 3)" node5-mets-val siemens,ge mets=0.9,none=0.1
node_set mets-test-philips "$(n 40 3)" node5-mets-test-philips philips mets=0.9,none=0.1

# 2. Training, both models in parallel (resumable: rerunning continues from runs/<task>/last.pt).
run $PY -m nonc.train --task glioma --data $D/glioma-train --val-data $D/glioma-val --out $R/glioma \
  --iters "$GLIOMA_ITERS" --patch 48 --batch 2 --lr 2e-3 --widths 8,16,32,64 \
  --region-weights 1,1.5,2 --p-bright 0.1 --eval-every 500 --val-max 10 --ckpt-every 25 --threads "$THREADS" \
  --freeze-bn-after $((GLIOMA_ITERS * 3 / 4)) &
G=$!
run $PY -m nonc.train --task mets --data $D/mets-train --val-data $D/mets-val --out $R/mets \
  --iters "$METS_ITERS" --patch 48 --batch 2 --lr 2e-3 --widths 8,16,32,64 \
  --p-tumour 0.5 --p-bright 0.25 --eval-every 500 --val-max 10 --ckpt-every 25 --threads "$THREADS" \
  --freeze-bn-after $((METS_ITERS * 3 / 4)) &
M=$!
wait $G; wait $M

# 3. Held-out evaluation (+ temperature fitting on the validation cases).
run $PY -m nonc.evaluate --task glioma --run $R/glioma --val-data $D/glioma-val --val-subsets "full,no FLAIR" \
  --test "node-unseen-vendor=$D/glioma-test-philips" --subsets "full,no FLAIR,no T1ce,no T2,no T1,T1ce only" \
  --out $R/glioma/eval.json --threads "$THREADS"
run $PY -m nonc.evaluate --task mets --run $R/mets --val-data $D/mets-val --val-subsets "full,T1ce only" \
  --test "node-unseen-vendor=$D/mets-test-philips" --out $R/mets/eval.json --threads "$THREADS"

# 4. Packages (ONNX export, onnx.checker, onnxruntime-node vs PyTorch, manifest with temperatures + sha256, card),
#    and the regression fixtures of test/training (held-out node-export crops).
STATEMENT="Synthetic studies from real anatomy (Debian mricron-data ch2/ch2bet template) with simulated contrasts, bias field, noise and tumours following published imaging phenotypes, exported by neuro-onc-node synth --training-set (full DICOM studies through the node's own DICOM decoding and toModelGrid preprocessing); vendor profiles siemens/ge for training. Performance on synthetic data is not clinical performance."
VERSION=${VERSION:-0.4.0}
run $PY -m nonc.package --task glioma --run $R/glioma --eval $R/glioma/eval.json --data $D/glioma-test-philips \
  --version "$VERSION" --out $PKG/glioma-mtl --training-data "$STATEMENT" --minimum-sets "flair;t2"
run $PY -m nonc.package --task mets --run $R/mets --eval $R/mets/eval.json --data $D/mets-test-philips \
  --version "$VERSION" --out $PKG/brainmets-egfr --training-data "$STATEMENT" --minimum-sets "t1ce"
[ "$QUICK" = 1 ] || run $PY -m nonc.fixtures --out ../test/training/fixtures --glioma $D/glioma-test-philips \
  --mets $D/mets-test-philips
echo "packages written to $PKG"
