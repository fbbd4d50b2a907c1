#!/usr/bin/env bash
# Reproduces both reference model packages from nothing: data -> training -> evaluation -> ONNX export ->
# onnxruntime-node verification -> models/<name>/{model.onnx,manifest.json,MODEL_CARD.md}.
#
#   bash training/train_all.sh --resume        # continue from the committed checkpoints (training/checkpoints/<stage>):
#                                              # with every stage at its last iteration this only evaluates and
#                                              # exports, reproducing the shipped weights
#   bash training/train_all.sh                 # everything from scratch (see training/README.md for measured times)
#   MAX_MINUTES=150 bash training/train_all.sh --resume   # stop each training stage resumably after 150 min; commit
#                                              # training/checkpoints and rerun with --resume (another session, a GPU)
#   QUICK=1 bash training/train_all.sh         # smoke run: tiny data, few iterations, packages to training/runs/quick
#
# Stages (each with a committed checkpoint and runs.json, recorded in the model card):
#   glioma          base multi-task glioma network (0.4.0; its checkpoint is rebuilt from the shipped ONNX)
#   glioma-distill  GMMAS-style knowledge self-distillation from it: an EMA teacher sees every sequence, the student
#                   random subsets, matched on outputs and features (nonc/losses.py distillation_loss)
#   glioma-wide     fine-tuning from it on the wide training distribution (synth --variety wide)
#   glioma-wide-distill  gentler self-distillation on top of glioma-wide: shipped as glioma-mtl 0.5.0
#   mets            brain-metastasis network (shipped as brainmets-egfr)
#   mets-wide       fine-tuning from it on the wide distribution (compared in the card, not shipped)
# then the survival head (nonc/survival.py), fitted on synthetic outcomes and grafted onto the glioma graph.
#
# Data: only `neuro-onc-node synth --training-set` (full DICOM studies from the real ch2 anatomy of Debian
# mricron-data, through the node's own DICOM decoding and toModelGrid): exactly what the node feeds the models.
# Training vendors siemens+ge; validation on separate seeds; held-out test on unseen seeds and the philips profile.
# Environment: GLIOMA_ITERS, METS_ITERS, THREADS (torch threads per training), NICE, VERSION, JOBS (export processes).
# Uses Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx 1.12), never the pyenv python first in PATH.
set -euo pipefail
cd "$(dirname "$0")"
RESUME=0
for a in "$@"; do
  case "$a" in
    --resume) RESUME=1 ;;
    *) echo "train_all.sh: unknown argument '$a' (only --resume)" >&2; exit 64 ;;
  esac
done
PY=/usr/bin/python3
export RESUME MAX_MINUTES=${MAX_MINUTES:-0}
NICE=${NICE:-10}
THREADS=${THREADS:-1}   # per training; the two trainings run in parallel (one core each)
JOBS=${JOBS:-2}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  D=runs/quick/data; R=runs/quick; PKG=runs/quick/models
  GLIOMA_ITERS=${GLIOMA_ITERS:-20}; METS_ITERS=${METS_ITERS:-20}; DISTILL_ITERS=${DISTILL_ITERS:-10}; WIDE_ITERS=${WIDE_ITERS:-10}; WIDE_DISTILL_ITERS=${WIDE_DISTILL_ITERS:-10}; METS_WIDE_ITERS=${METS_WIDE_ITERS:-10}; SCALE=0
  export CKPT_ROOT=runs/quick/checkpoints
else
  D=data/v5; R=runs; PKG=../models
  GLIOMA_ITERS=${GLIOMA_ITERS:-3000}; METS_ITERS=${METS_ITERS:-3000}; DISTILL_ITERS=${DISTILL_ITERS:-700}; WIDE_ITERS=${WIDE_ITERS:-3000}; WIDE_DISTILL_ITERS=${WIDE_DISTILL_ITERS:-700}; METS_WIDE_ITERS=${METS_WIDE_ITERS:-1000}; SCALE=1
fi
. ./checkpoints.sh
run() { echo "+ $*" >&2; nice -n "$NICE" "$@"; }
n() { if [ "$SCALE" = 1 ]; then echo "$1"; else echo "$2"; fi; }

# 0. The node CLI, compiled into an ignored folder (the synth export is TypeScript); always rebuilt so that the data
#    follow the current src/synth.
(cd .. && run npx tsc -p tsconfig.build.json --outDir training/runs/dist)
NODE_CLI="node runs/dist/cli/main.js"

# 1. Data (each set is skipped when its index.json exists; ≈ 1–2 s CPU per case).
U=${U:-data/v6}; [ "$QUICK" = 1 ] && U=$D
synth_set() { # dir name count seed vendors mix [variety: wide | unseen; default the generator's own narrow habits]
  [ -f "$1/$2/index.json" ] || run $NODE_CLI synth --training-set "$3" --out "$1/$2" --seed "$4" \
    --size small --vendors "$5" --tumor-mix "$6" --drop-prob 0 ${7:+--variety "$7"} --jobs "$JOBS"
}
GM=gbm=0.35,astro=0.3,oligo=0.25,none=0.1
synth_set "$D" glioma-train "$(n 400 8)" node5-glioma-train siemens,ge "$GM"
synth_set "$D" glioma-surv "$(n 160 8)" node5-glioma-surv siemens,ge "$GM"
synth_set "$D" glioma-val "$(n 40 4)" node5-glioma-val siemens,ge "$GM"
synth_set "$D" glioma-test-philips "$(n 60 4)" node5-glioma-test-philips philips gbm=0.3,astro=0.3,oligo=0.3,none=0.1
# Held-out "unseen generator settings" (synth --variety unseen: shifts the wide training distribution never draws).
synth_set "$U" glioma-test-unseen "$(n 40 4)" node6-glioma-test-unseen siemens,ge,philips \
  gbm=0.3,astro=0.3,oligo=0.3,none=0.1 unseen
# Wide training distribution (synth --variety wide: deformed anatomy, 1-6 mm slices, blur, registered motion, tumour
# shapes and sizes), for the glioma-wide and mets-wide stages.
synth_set "$U" glioma-train-wide "$(n 120 6)" node6-glioma-train-wide siemens,ge "$GM" wide
synth_set "$D" mets-train "$(n 250 6)" node5-mets-train siemens,ge mets=0.9,none=0.1
synth_set "$U" mets-train-wide "$(n 48 6)" node6-mets-train-wide siemens,ge mets=0.9,none=0.1 wide
synth_set "$D" mets-val "$(n 30 3)" node5-mets-val siemens,ge mets=0.9,none=0.1
synth_set "$D" mets-test-philips "$(n 40 3)" node5-mets-test-philips philips mets=0.9,none=0.1

# 2. Training, both models in parallel (one core each), each stage resumable (training/checkpoints.sh); a stage whose
#    checkpoint is at its last iteration does not train again.
stages_rc=0
train_stage glioma $R/glioma "$THREADS" -- --task glioma --data $D/glioma-train --val-data $D/glioma-val \
  --iters "$GLIOMA_ITERS" --patch 48 --batch 2 --lr 2e-3 --widths 8,16,32,64 \
  --region-weights 1,1.5,2 --p-bright 0.1 --eval-every 500 --val-max 10 --ckpt-every 25 \
  --freeze-bn-after $((GLIOMA_ITERS * 3 / 4)) &
G=$!
train_stage mets $R/mets "$THREADS" -- --task mets --data $D/mets-train --val-data $D/mets-val \
  --iters "$METS_ITERS" --patch 48 --batch 2 --lr 2e-3 --widths 8,16,32,64 \
  --p-tumour 0.5 --p-bright 0.25 --eval-every 500 --val-max 10 --ckpt-every 25 \
  --freeze-bn-after $((METS_ITERS * 3 / 4)) &
M=$!
wait $G || stages_rc=$?
wait $M || stages_rc=$?
if [ "$stages_rc" = 0 ]; then
  # Missing-modality robustness: self-distillation from the base network (both cores). The base stage's last.pt
  # carries the weights (a rebuilt checkpoint has an identity BatchNorm, hence BatchNorm frozen throughout).
  train_stage glioma-distill $R/glioma-distill 2 -- --task glioma --data $D/glioma-surv --val-data $D/glioma-val \
    --iters "$DISTILL_ITERS" --patch 48 --batch 2 --lr 5e-4 --widths 8,16,32,64 --region-weights 1,1.5,2 \
    --p-bright 0.1 --eval-every 250 --val-max 6 --val-subsets "full,no FLAIR,no T1ce,no T2,no T1" --ckpt-every 25 \
    --freeze-bn-after 0 --init-checkpoint $R/glioma/last.pt --distill ema --p-full 0.2 || stages_rc=$?
fi
if [ "$stages_rc" = 0 ]; then
  # Generalisation: fine-tuning from the base network on the wide distribution mixed with narrow cases (a candidate
  # until its held-out figures beat the shipped package; resumable like every stage).
  train_stage glioma-wide $R/glioma-wide 2 -- --task glioma --data $U/glioma-train-wide --data $D/glioma-surv:0.5 \
    --val-data $D/glioma-val --iters "$WIDE_ITERS" --patch 48 --batch 2 --lr 1e-3 --widths 8,16,32,64 \
    --region-weights 1,1.5,2 --p-bright 0.1 --eval-every 500 --val-max 6 --ckpt-every 25 --freeze-bn-after 0 \
    --init-checkpoint $R/glioma/last.pt || stages_rc=$?
fi
if [ "$stages_rc" = 0 ]; then
  # Missing-modality distillation on top of glioma-wide, gentler than glioma-distill (whose full-input TC fell 0.11):
  # half the patches full input, half the distillation weight.
  train_stage glioma-wide-distill $R/glioma-wide-distill 2 -- --task glioma --data $U/glioma-train-wide \
    --data $D/glioma-surv:0.5 --val-data $D/glioma-val --iters "$WIDE_DISTILL_ITERS" --patch 48 --batch 2 --lr 5e-4 \
    --widths 8,16,32,64 --region-weights 1,1.5,2 --p-bright 0.1 --eval-every 250 --val-max 6 \
    --val-subsets "full,no FLAIR,no T1ce,no T2,no T1" --ckpt-every 25 --freeze-bn-after 0 \
    --init-checkpoint $R/glioma-wide/last.pt --distill ema --p-full 0.5 --kd-weight 0.5 --feat-weight 0.25 || stages_rc=$?
fi
if [ "$stages_rc" = 0 ]; then
  # The metastasis network on the wide distribution (fine-tuned from mets; BatchNorm frozen as the rebuilt checkpoint
  # needs). A candidate until its held-out figures beat the shipped package.
  train_stage mets-wide $R/mets-wide 2 -- --task mets --data $U/mets-train-wide --val-data $D/mets-val \
    --iters "$METS_WIDE_ITERS" --patch 48 --batch 2 --lr 1e-3 --widths 8,16,32,64 --p-tumour 0.5 --p-bright 0.25 \
    --eval-every 250 --val-max 10 --ckpt-every 25 --freeze-bn-after 0 --init-checkpoint $R/mets/last.pt || stages_rc=$?
fi
if [ "$stages_rc" = 2 ]; then
  echo "a training stage stopped after MAX_MINUTES=$MAX_MINUTES: commit training/checkpoints and rerun with --resume" >&2
  exit 0
fi
[ "$stages_rc" = 0 ] || exit "$stages_rc"

# 3. Held-out evaluation (+ temperature fitting on the validation cases: MAP with a normal prior on log T, sd 0.5,
#    because a few dozen validation cases otherwise push a temperature to the end of its range). The shipped glioma
#    package is the stage in GLIOMA_SHIP (0.5.0: glioma-wide-distill, the best on full input and on every missing
#    sequence of the unseen-vendor set; the other stages are compared with it in the card).
GLIOMA_SHIP=${GLIOMA_SHIP:-glioma-wide-distill}
TPRIOR=(--temperature-prior-sd "${TEMPERATURE_PRIOR_SD:-0.5}")
CANDIDATES=()
for stage in glioma glioma-distill glioma-wide glioma-wide-distill; do
  run $PY -m nonc.evaluate --task glioma --run $R/$stage --val-data $D/glioma-val --val-subsets "full,no FLAIR" \
    --test "node-unseen-vendor=$D/glioma-test-philips" --test "node-unseen-generator=$U/glioma-test-unseen" \
    --subsets "full,no FLAIR,no T1ce,no T2,no T1,T1ce only" --out $R/$stage/eval.json --threads "$THREADS" "${TPRIOR[@]}"
  label="stage $stage"; [ "$stage" = glioma ] && label="stage glioma (glioma-mtl 0.4.1's image network)"
  [ "$stage" = "$GLIOMA_SHIP" ] || CANDIDATES+=(--candidate "$label=$R/$stage/eval.json")
done
METS_SHIP=${METS_SHIP:-mets}
METS_CANDIDATES=()
for stage in mets mets-wide; do
  run $PY -m nonc.evaluate --task mets --run $R/$stage --val-data $D/mets-val --val-subsets "full,T1ce only" \
    --test "node-unseen-vendor=$D/mets-test-philips" --out $R/$stage/eval.json --threads "$THREADS" "${TPRIOR[@]}"
  [ "$stage" = "$METS_SHIP" ] || METS_CANDIDATES+=(--candidate "stage $stage=$R/$stage/eval.json")
done

# 4. Packages (ONNX export, onnx.checker, onnxruntime-node vs PyTorch, manifest with temperatures + sha256, card),
#    and the regression fixtures of test/training (held-out node-export crops).
STATEMENT="Synthetic studies from real anatomy (Debian mricron-data ch2/ch2bet template) with simulated contrasts, bias field, noise and tumours following published imaging phenotypes, exported by neuro-onc-node synth --training-set (full DICOM studies through the node's own DICOM decoding and toModelGrid preprocessing); vendor profiles siemens/ge for training. Performance on synthetic data is not clinical performance."
VERSION=${VERSION:-0.5.0}; METS_VERSION=${METS_VERSION:-0.4.1}
run $PY -m nonc.package --task glioma --run $R/$GLIOMA_SHIP --eval $R/$GLIOMA_SHIP/eval.json \
  --data $D/glioma-test-philips --version "$VERSION" --out $PKG/glioma-mtl --training-data "$STATEMENT" \
  --released "${GLIOMA_RELEASED:-2026-12-06}" --card-extra cards/glioma-mtl-changes.md \
  --minimum-sets "flair;t2" --runs-log "glioma=$CKPT_ROOT/glioma/runs.json" \
  --runs-log "glioma-distill=$CKPT_ROOT/glioma-distill/runs.json" \
  --runs-log "glioma-wide=$CKPT_ROOT/glioma-wide/runs.json" \
  --runs-log "glioma-wide-distill=$CKPT_ROOT/glioma-wide-distill/runs.json" "${CANDIDATES[@]}"
# The prognosis head on synthetic outcomes, grafted onto the exported glioma graph (input age, output survival_hazard).
run $PY -m nonc.survival --onnx $PKG/glioma-mtl/model.onnx --train $D/glioma-surv --test $D/glioma-test-philips \
  --out $R/survival --threads 2 --per-case "$(n 40 5)" --package $PKG/glioma-mtl
run $PY -m nonc.package --task mets --run $R/$METS_SHIP --eval $R/$METS_SHIP/eval.json --data $D/mets-test-philips \
  --version "$METS_VERSION" --out $PKG/brainmets-egfr --training-data "$STATEMENT" --minimum-sets "t1ce" \
  --runs-log "mets=$CKPT_ROOT/mets/runs.json" --runs-log "mets-wide=$CKPT_ROOT/mets-wide/runs.json" \
  --released "${METS_RELEASED:-2026-12-06}" --card-extra cards/brainmets-egfr-notes.md "${METS_CANDIDATES[@]}"
[ "$QUICK" = 1 ] || run $PY -m nonc.fixtures --out ../test/training/fixtures --glioma $D/glioma-test-philips \
  --mets $D/mets-test-philips
echo "packages written to $PKG"
