# Shared by the training scripts (sourced): committed, resumable checkpoints.
#
# training/checkpoints/<stage>/last.pt   network + optimizer + sampler state (a few MB), committed after every run
# (evaluation and export read last.pt, the annealed final weights; a restore also puts it in place of best.pt)
# training/checkpoints/<stage>/runs.json one record per run: iterations from/to, wall minutes, threads, compute
#
# ckpt_restore STAGE RUN_DIR  copy the committed checkpoint into the run folder when it is further on than the local one
# ckpt_record  STAGE RUN_DIR BEFORE SECONDS THREADS  copy the run's last.pt back and append the run to runs.json
# iter_of FILE               the iteration a checkpoint reached (-1 when there is none)
PY=${PY:-/usr/bin/python3}
CKPT_ROOT=${CKPT_ROOT:-checkpoints}
COMPUTE=${COMPUTE:-CPU (build machine, $(nproc) cores)}

iter_of() { $PY -c "import os,sys,torch; print(torch.load(sys.argv[1])['iter'] if os.path.exists(sys.argv[1]) else -1)" "$1"; }

ckpt_restore() {
  local ck="$CKPT_ROOT/$1/last.pt" local_ck="$2/last.pt"
  mkdir -p "$2"
  if [ "$(iter_of "$ck")" -gt "$(iter_of "$local_ck")" ]; then
    echo "resuming $1 from the committed checkpoint (iteration $(iter_of "$ck"))" >&2
    cp "$ck" "$local_ck"
    [ -f "$2/best.pt" ] || cp "$ck" "$2/best.pt"
  fi
}

ckpt_record() {
  local stage=$1 run=$2 before=$3 secs=$4 threads=$5
  mkdir -p "$CKPT_ROOT/$stage"
  [ -f "$run/last.pt" ] || return 0
  local after; after=$(iter_of "$run/last.pt")
  cp "$run/last.pt" "$CKPT_ROOT/$stage/last.pt"
  $PY - "$CKPT_ROOT/$stage/runs.json" "$before" "$after" "$secs" "$threads" "$COMPUTE" <<'PYEOF'
import datetime, json, os, sys
path, a, b, secs, threads, compute = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
runs = json.load(open(path)) if os.path.exists(path) else []
if b > a:
    runs.append({'run': len(runs) + 1, 'from': max(a, 0), 'to': b, 'minutes': round(secs / 60, 1), 'threads': threads,
                 'compute': compute, 'date': datetime.date.today().isoformat()})
json.dump(runs, open(path, 'w'), indent=1)
PYEOF
}

# train_stage STAGE RUN_DIR THREADS -- nonc.train arguments (without --out/--threads)
# Restores (with RESUME=1), trains, records. Returns 0 when the stage reached its iterations, 2 when it stopped at
# MAX_MINUTES (resumable: commit training/checkpoints and rerun with --resume).
train_stage() {
  local stage=$1 run=$2 threads=$3; shift 4
  [ "${RESUME:-0}" = 1 ] && ckpt_restore "$stage" "$run"
  mkdir -p "$run"
  local before t0 rc
  before=$(iter_of "$run/last.pt"); t0=$(date +%s)
  set +e
  echo "+ nonc.train $stage $*" >&2
  nice -n "${NICE:-10}" $PY -m nonc.train --out "$run" --threads "$threads" --max-minutes "${MAX_MINUTES:-0}" "$@"
  rc=$?
  set -e
  [ "$rc" = 0 ] || [ "$rc" = 2 ] || return "$rc"
  [ "${RECORD:-1}" = 1 ] && ckpt_record "$stage" "$run" "$before" "$(( $(date +%s) - t0 ))" "$threads"
  return "$rc"
}
