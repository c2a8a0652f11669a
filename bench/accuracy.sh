#!/usr/bin/env bash
# Reproduces the best single model on real faces from a fresh clone and prints its holdout RMSE.
#   bench/accuracy.sh <faces-real folder>      (holding train.csv.gz, train_sources.csv, holdout.csv.gz)
# Trains on train.csv.gz only: pipelines/accuracy.json validates its recipe on a person-grouped split inside it
# (stages train, predict_val, evaluate), then trains the same recipe on every face of it (train_all), and the holdout
# scores that model, once, at the end (predict_holdout, evaluate_holdout). Afterwards
# `dotnet src/Fkd.Cli/bin/Release/net10.0/Fkd.Cli.dll evaluate --run latest --stage train_all --shift-tta 3 --data FILE --json`
# scores the same model, with the same test-time augmentation, on any labelled Kaggle-format file.
# Extra `run` options (e.g. --store DIR) can be passed in $FKD_ACCURACY_ARGS.
set -euo pipefail
source "$(dirname "$0")/faces-real-setup.sh" "$0" "$@"
read -r -a extra <<< "${FKD_ACCURACY_ARGS:-}"
store=()
for ((i = 0; i < ${#extra[@]}; i++)); do
  [ "${extra[$i]}" = "--store" ] && store=(--store "${extra[$((i + 1))]}")
done
start=$(date +%s)
"${fkd[@]}" run pipelines/accuracy.json "${extra[@]}" \
  --set faces.train="$data/train.csv.gz" --set split.groups="$data/train_sources.csv" --set holdout_rows.csv="$data/holdout.csv.gz" >&2
echo "pipeline wall time: $(( $(date +%s) - start )) s" >&2
"${fkd[@]}" sql "select 'validation (train)' as scored, round(rmse, 4) as rmse from evaluate_rmse where keypoint = 'overall'
  union all select 'holdout (train_all)', round(rmse, 4) from evaluate_holdout_rmse where keypoint = 'overall'" "${store[@]}"
