#!/usr/bin/env bash
# Reproduces both reference model packages from nothing: data -> training -> evaluation -> ONNX export ->
# onnxruntime-node verification -> models/<name>/{model.onnx,manifest.json,MODEL_CARD.md}.
#
#   bash training/train_all.sh                 # everything (several hours on 2 CPU cores; resumable)
#   QUICK=1 bash training/train_all.sh         # smoke run: tiny data, few iterations, packages to training/runs/quick
#
# Environment:
#   DATA_SOURCE=python (default) | node   python: training/nonc/ch2_phantom.py (real ch2 anatomy, model grid directly)
#                                         node:   `neuro-onc-node synth --training-set` (DICOM path + node preprocessing)
#   GLIOMA_ITERS, METS_ITERS, THREADS, NICE
# Uses Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx 1.12), never the pyenv python first in PATH.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
NICE=${NICE:-15}
THREADS=${THREADS:-2}
DATA_SOURCE=${DATA_SOURCE:-python}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  D=runs/quick/data; R=runs/quick; PKG=runs/quick/models
  GLIOMA_ITERS=${GLIOMA_ITERS:-20}; METS_ITERS=${METS_ITERS:-20}; SCALE=0
else
  D=data/$DATA_SOURCE; R=runs; PKG=../models
  GLIOMA_ITERS=${GLIOMA_ITERS:-1400}; METS_ITERS=${METS_ITERS:-900}; SCALE=1
fi
run() { echo "+ $*" >&2; nice -n "$NICE" "$@"; }
n() { if [ "$SCALE" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# 1. Data: training seeds 100000+ (glioma) / 200000+ (metastases), vendors siemens+ge; held-out test seeds 800000+
#    (same vendors) and 900000+ (vendor philips, never seen in training).
gen() { # name seed vendors gbm astro oligo mets none
  local out=$D/$1
  [ -f "$out/index.json" ] && return 0
  if [ "$DATA_SOURCE" = node ]; then
    run node ../bin/neuro-onc-node.js synth --training-set-from-counts "gbm=$4,astro=$5,oligo=$6,mets=$7,none=$8" \
      --out "$out" --seed "$2" --vendors "$3"
  else
    run $PY -m nonc.ch2_phantom --out "$out" --seed "$2" --vendors "$3" --gbm "$4" --astro "$5" --oligo "$6" \
      --mets "$7" --none "$8"
  fi
}
gen glioma-train 100000 siemens,ge "$(n 60 3)" "$(n 50 3)" "$(n 50 3)" 0 "$(n 20 1)"
gen glioma-test-seen 800000 siemens,ge "$(n 10 1)" "$(n 10 1)" "$(n 10 1)" 0 "$(n 2 1)"
gen glioma-test-philips 900000 philips "$(n 14 1)" "$(n 13 1)" "$(n 13 1)" 0 "$(n 4 1)"
gen mets-train 200000 siemens,ge 0 0 0 "$(n 100 6)" "$(n 12 1)"
gen mets-test-philips 910000 philips 0 0 0 "$(n 40 2)" "$(n 4 1)"

# 2. Training (resumable: rerunning continues from runs/<task>/last.pt).
run $PY -m nonc.train --task glioma --data $D/glioma-train --out $R/glioma --iters "$GLIOMA_ITERS" \
  --widths 8,16,32,64 --eval-every 350 --val-max 8 --threads "$THREADS"
run $PY -m nonc.train --task mets --data $D/mets-train --out $R/mets --iters "$METS_ITERS" \
  --widths 8,16,32,64 --eval-every 300 --val-max 8 --threads "$THREADS"

# 3. Held-out evaluation (+ temperature fitting on the validation split).
run $PY -m nonc.evaluate --task glioma --run $R/glioma --train-data $D/glioma-train --val-subsets "full,no FLAIR,no T1ce" \
  --test "unseen-vendor=$D/glioma-test-philips" --test "seen-vendors=$D/glioma-test-seen" --full-only seen-vendors \
  --out $R/glioma/eval.json --threads "$THREADS"
run $PY -m nonc.evaluate --task mets --run $R/mets --train-data $D/mets-train --val-subsets "full,T1ce only" \
  --test "unseen-vendor=$D/mets-test-philips" --out $R/mets/eval.json --threads "$THREADS"

# 4. Packages (ONNX export, onnx.checker, onnxruntime-node vs PyTorch, manifest with temperatures + sha256, card).
STATEMENT_python="Synthetic studies generated directly on the model grid by training/nonc/ch2_phantom.py from real anatomy (Debian mricron-data ch2/ch2bet template), with simulated contrasts, bias field, Rician noise, slice blur and tumours following published imaging phenotypes; vendor profiles siemens/ge for training. Performance on synthetic data is not clinical performance."
STATEMENT_node="Synthetic DICOM studies from neuro-onc-node synth (real anatomy: Debian mricron-data ch2) run through the node's own preprocessing (toModelGrid); vendor profiles siemens/ge for training. Performance on synthetic data is not clinical performance."
STATEMENT_VAR="STATEMENT_$DATA_SOURCE"
VERSION=${VERSION:-0.1.0}
run $PY -m nonc.package --task glioma --run $R/glioma --eval $R/glioma/eval.json --data $D/glioma-test-philips \
  --version "$VERSION" --out $PKG/glioma-mtl --training-data "${!STATEMENT_VAR}" --minimum-sets "flair;t2;t1ce"
run $PY -m nonc.package --task mets --run $R/mets --eval $R/mets/eval.json --data $D/mets-test-philips \
  --version "$VERSION" --out $PKG/brainmets-egfr --training-data "${!STATEMENT_VAR}" --minimum-sets "t1ce"
echo "packages written to $PKG"
