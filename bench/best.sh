#!/usr/bin/env bash
# Reproduces our best predictor on real faces from a fresh clone and prints its holdout RMSE.
#   bench/best.sh <faces-real folder> [LABELLED_FILE]
# The candidates are those of pipelines/stack-real.json: each base model's fold mean and the three stacks (linear,
# pairwise, elastic-net). The best is the one with the lowest VALIDATION RMSE (the person-grouped
# split inside train.csv.gz); the holdout is scored once, for that predictor, and decides nothing.
# With LABELLED_FILE (a Kaggle-format training CSV, plain or gzip, with labels), the same predictor is also scored on
# that file: the pipeline runs again with the file in the holdout's place, so every training is reused from the store
# and only parse, predict, stack and evaluate run. The last line is then {"rmse": R, "faces": N}.
# Extra `run` options (e.g. --store DIR) can be passed in $FKD_BEST_ARGS.
set -euo pipefail
labelled=${2:-}
if [ -n "$labelled" ]; then
  [ -f "$labelled" ] || { echo "missing $labelled" >&2; exit 2; }
  labelled=$(cd "$(dirname "$labelled")" && pwd)/$(basename "$labelled")
fi
source "$(dirname "$0")/faces-real-setup.sh" "$0" "$1"
read -r -a extra <<< "${FKD_BEST_ARGS:-}"
store=()
for ((i = 0; i < ${#extra[@]}; i++)); do
  [ "${extra[$i]}" = "--store" ] && store=(--store "${extra[$((i + 1))]}")
done
sets=(--set faces.train="$data/train.csv.gz" --set split.groups="$data/train_sources.csv")

# One value out of `fkd sql --json` (a single row of scalars): the Nth column of the first row.
sql_value() {
  "${fkd[@]}" sql "$1" --json "${store[@]}" | sed -E 's/.*"rows":\[\[([^]]*)\]\].*/\1/' | cut -d, -f"$2" | tr -d '"'
}

start=$(date +%s)
"${fkd[@]}" run pipelines/stack-real.json "${sets[@]}" --set holdout_rows.csv="$data/holdout.csv.gz" "${extra[@]}" >&2
echo "pipeline wall time: $(( $(date +%s) - start )) s" >&2

# Each candidate: its validation evaluation, its holdout evaluation, its holdout predictions, found by the pipeline's
# stage names: eval_val_X scores X's fold mean (holdout twin eval_holdout_X, predictions holdout_X), eval_stack_X_val
# a stack (eval_stack_X_holdout, stack_X_holdout).
tables=$(sql_value "select string_agg(table_name, ' ' order by table_name) from information_schema.tables where table_name like 'eval_%_rmse'" 1)
candidates=""
for t in $tables; do
  case "$t" in
    eval_val_*_rmse) x=${t#eval_val_}; x=${x%_rmse}; row="'$x (fold mean)' as predictor, 'eval_holdout_$x' as holdout, 'holdout_$x' as predictions" ;;
    eval_stack_*_val_rmse) x=${t#eval_stack_}; x=${x%_val_rmse}; row="'stack-$x' as predictor, 'eval_stack_${x}_holdout' as holdout, 'stack_${x}_holdout' as predictions" ;;
    *) continue ;;
  esac
  part="select $row, rmse from $t where keypoint = 'overall'"
  candidates=${candidates:+$candidates union all }$part
done
[ -n "$candidates" ] || { echo "no validated predictors found in the store" >&2; exit 1; }
best="select predictor, round(rmse, 4), holdout, predictions from ($candidates) order by rmse, predictor limit 1"
predictor=$(sql_value "$best" 1)
val_rmse=$(sql_value "$best" 2)
holdout=$(sql_value "$best" 3)
predictions=$(sql_value "$best" 4)
holdout_rmse=$(sql_value "select round(rmse, 4) from ${holdout}_rmse where keypoint = 'overall'" 1)
echo "best predictor by validation RMSE: $predictor (validation $val_rmse px)"
echo "holdout RMSE: $holdout_rmse px"

if [ -n "$labelled" ]; then
  "${fkd[@]}" run pipelines/stack-real.json "${sets[@]}" --set holdout_rows.csv="$labelled" "${extra[@]}" >&2
  rmse=$(sql_value "select round(rmse, 4) from ${holdout}_rmse where keypoint = 'overall'" 1)
  faces=$(sql_value "select count(*) from ${predictions}_predictions" 1)
  echo "{\"rmse\": $rmse, \"faces\": $faces}"
fi
