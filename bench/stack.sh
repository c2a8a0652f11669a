#!/usr/bin/env bash
# Stacking on real faces from a fresh clone: pipelines/stack-real.json (4 person-grouped folds inside
# train.csv.gz, cnn-wide, cnn-medium (seeds 1 and 2) and cnn-small per fold on accuracy.json's recipe, ridge and
# elastic-net meta-regressors on the out-of-fold predictions),
# then prints the report: every score ranked (each base model's fold mean and each stack, on validation and holdout).
#   bench/stack.sh <faces-real folder>      (holding train.csv.gz, train_sources.csv, holdout.csv.gz)
# Nothing is trained on the holdout and no setting is chosen by it; it is scored at the end only.
set -euo pipefail
source "$(dirname "$0")/faces-real-setup.sh" "$0" "$@"
sets=(--set faces.train="$data/train.csv.gz" --set split.groups="$data/train_sources.csv"
      --set holdout_rows.csv="$data/holdout.csv.gz")
start=$(date +%s)
"${fkd[@]}" run pipelines/stack-real.json "${sets[@]}"
echo "pipeline wall time: $(( $(date +%s) - start )) s" >&2
"${fkd[@]}" report
