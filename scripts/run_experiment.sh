#!/usr/bin/env bash
# A single-seed version of the small experiment, end to end on a 2-core CPU (about 15 minutes);
# docs/experiment.md now reports `train ablate configs/studies/stereo_vs_mono.yaml` (three
# training seeds, held-out assets, intervals over seeds). This script:
#   1. generate a congruent training set (free field, spaced ears; 3000 samples, 112x112, 1 s of stereo audio, with
#      silence and noise negatives) and a held-out test set (900 samples, another seed, with
#      silence, noise and off-screen negatives);
#   2. train five small models, two at a time with one thread each (the 2 cores):
#      mono, stereo_conv1d, stereo_ipd, stereo_ipd_san (silence + noise losses), vision_prior;
#   3. evaluate them with the random and centre baselines and the vision-only prior:
#      tables per condition and size bin, margins, plots.
# Usage: scripts/run_experiment.sh [OUT_DIR]        (default out/experiment)
# Environment: N_TRAIN (3000), N_TEST (900), EPOCHS (6), SIZE (112), WORKERS (2), SIMULATE (simulate)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/experiment}
N_TRAIN=${N_TRAIN:-3000}
N_TEST=${N_TEST:-900}
EPOCHS=${EPOCHS:-6}
SIZE=${SIZE:-112}
WORKERS=${WORKERS:-2}
SIMULATE=${SIMULATE:-simulate}
mkdir -p "$OUT"
TIMING="$OUT/timing.txt"
: > "$TIMING"
TIMEFORMAT="%R s wall, %U s user, %S s sys"
t0=$(date +%s)

phase() {  # phase NAME COMMAND... : run it (stderr to OUT/NAME.log), append its times to timing.txt
  local name=$1; shift
  echo "== $name" >&2
  printf '%s: ' "$name" >> "$TIMING"
  { time "$@" 2>> "$OUT/$name.log" ; } 2>> "$TIMING"
}

# The congruent spec in free field with two omni ears 0.17 m apart (seeds/000's set-up; exact ITD, small
# ILD) and a plain background; objects up to 100 m away so every category reaches every size bin.
COMMON=(--spec scenes/congruent.yaml --set room.type=free_field --set listener.head=spaced
        --set listener.ear_spacing_m=0.17 --set background.kind=color
        --set image.width=$SIZE --set image.height=$SIZE --set audio.duration=1.0
        --set objects.max_distance_m=100 --set negatives.silence=true --set negatives.noise=true
        --workers "$WORKERS" --quiet)
generate() {  # generate DIR N ARGS...: simulate; accept a dataset missing at most 1 % of its samples
  local dir=$1 n=$2; shift 2   # (simulate exits 1 when a sample has no valid layout; it lists it in
  "$SIMULATE" "${COMMON[@]}" --set samples="$n" --set output.dir="$dir" "$@" || {   # dataset.json 'failed')
    local got; got=$(wc -l < "$dir/manifest.jsonl")
    echo "simulate wrote $got of $n samples into $dir" >&2
    [ "$got" -ge $(( n * 99 / 100 )) ]
  }
}
phase generate_train generate "$OUT/train" "$N_TRAIN"
phase generate_test generate "$OUT/test" "$N_TEST" --set seed=1007 --set negatives.offscreen=true

train_one() {  # train_one CONFIG
  local name=$1
  python -m training.train --config "configs/$name.yaml" --quiet --out "$OUT/runs/$name" \
    --set data.train="$OUT/train" --set train.epochs="$EPOCHS" --set train.threads=1 > "$OUT/train_$name.log" 2>&1
}
lane_a() { train_one stereo_ipd_san && train_one stereo_conv1d; }
lane_b() { train_one stereo_ipd && train_one mono && train_one vision_prior; }
train_all() { lane_a & local a=$!; lane_b & local b=$!; wait $a; wait $b; }
phase train train_all

phase evaluate python -m training.evaluate --data "$OUT/test" --quiet --threads 2 --out "$OUT/eval" \
  --model "$OUT/runs/stereo_ipd" "$OUT/runs/stereo_conv1d" "$OUT/runs/mono" "$OUT/runs/stereo_ipd_san" \
  --baselines random center vision_prior --vision-prior "$OUT/runs/vision_prior" \
  --compare stereo_ipd:mono stereo_conv1d:mono mono:random stereo_ipd:random "stereo_ipd:vision prior"

echo "total: $(( $(date +%s) - t0 )) s wall" >> "$TIMING"
cat "$OUT/eval/tables.md"
echo
cat "$TIMING"
