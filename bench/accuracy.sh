#!/usr/bin/env bash
# Reproduces the best single model on real faces from a fresh clone and prints its holdout RMSE.
#   bench/accuracy.sh <faces-real folder>      (holding train.csv.gz, train_sources.csv, holdout.csv.gz)
# Trains on train.csv.gz only (validation split by person inside it); the holdout is scored once, at the end.
# Afterwards `dotnet src/Fkd.Cli/bin/Release/net10.0/Fkd.Cli.dll evaluate --run latest --data FILE --json`
# scores the same model on any labelled Kaggle-format file.
set -euo pipefail
source "$(dirname "$0")/faces-real-setup.sh" "$0" "$@"
start=$(date +%s)
"${fkd[@]}" run pipelines/accuracy.json \
  --set faces.train="$data/train.csv.gz" --set split.groups="$data/train_sources.csv"
echo "pipeline wall time: $(( $(date +%s) - start )) s" >&2
"${fkd[@]}" evaluate --run latest --data "$data/holdout.csv.gz" --json
