#!/usr/bin/env bash
# Stacking on real faces from a fresh clone: pipelines/stack-real.json (4 person-grouped folds inside
# train.csv.gz, cnn-small and LeNet-5 per fold, ridge meta-regressor on the out-of-fold predictions),
# then prints the report: every score ranked (each base model's fold mean and each stack, on validation and holdout).
#   bench/stack.sh <faces-real folder>      (holding train.csv.gz, train_sources.csv, holdout.csv.gz)
# Nothing is trained on the holdout and no setting is chosen by it; it is scored at the end only.
set -euo pipefail
data=${1:?usage: bench/stack.sh <faces-real folder>}
data=$(cd "$data" && pwd)
cd "$(dirname "$0")/.."
for f in train.csv.gz train_sources.csv holdout.csv.gz; do
  [ -f "$data/$f" ] || { echo "missing $data/$f" >&2; exit 2; }
done
dotnet build src/Fkd.Cli -c Release -v quiet -nologo
fkd=(dotnet src/Fkd.Cli/bin/Release/net10.0/Fkd.Cli.dll)
sets=(--set faces.train="$data/train.csv.gz" --set split.groups="$data/train_sources.csv"
      --set holdout_rows.csv="$data/holdout.csv.gz")
start=$(date +%s)
"${fkd[@]}" run pipelines/stack-real.json "${sets[@]}"
echo "pipeline wall time: $(( $(date +%s) - start )) s" >&2
"${fkd[@]}" report
