#!/usr/bin/env bash
# Reproduces our best predictor on real faces from a fresh clone and prints its holdout RMSE.
#   bench/best.sh <faces-real folder> [LABELLED_FILE]
# The candidates: pipelines/accuracy.json's recipe (its model validated on the person-grouped split inside
# train.csv.gz; the predictor is train_all, the same recipe on every face) and those of pipelines/stack-real.json
# (each base model's fold mean and the three stacks: linear, pairwise, elastic-net). Every one is validated on the
# same split, trained on the same faces outside it; the best is the one with the lowest VALIDATION RMSE, and the
# holdout is scored once, for that predictor, and decides nothing.
# With LABELLED_FILE (a Kaggle-format training CSV, plain or gzip, with labels), the same predictor is also scored on
# that file: its pipeline runs again with the file in the holdout's place, so every training is reused from the store
# and only parse, predict, stack and evaluate run. The last line is then {"rmse": R, "faces": N}.
# Extra `run` options can be passed in $FKD_BEST_ARGS (both pipelines, e.g. --store DIR), $FKD_BEST_SINGLE_ARGS
# (accuracy.json's run only) and $FKD_BEST_STACK_ARGS (stack-real.json's only), e.g. `--set` for a stage of one of them.
set -euo pipefail
labelled=${2:-}
if [ -n "$labelled" ]; then
  [ -f "$labelled" ] || { echo "missing $labelled" >&2; exit 2; }
  labelled=$(cd "$(dirname "$labelled")" && pwd)/$(basename "$labelled")
fi
source "$(dirname "$0")/faces-real-setup.sh" "$0" "$1"
read -r -a extra <<< "${FKD_BEST_ARGS:-}"
read -r -a single_extra <<< "${FKD_BEST_SINGLE_ARGS:-}"
read -r -a stack_extra <<< "${FKD_BEST_STACK_ARGS:-}"
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
# The single recipe first: its candidate is read from this run (sql reads the latest run) before stack-real runs.
"${fkd[@]}" run pipelines/accuracy.json "${sets[@]}" --set holdout_rows.csv="$data/holdout.csv.gz" "${extra[@]}" "${single_extra[@]}" >&2
single_val=$(sql_value "select round(rmse, 4) from evaluate_rmse where keypoint = 'overall'" 1)
single_holdout=$(sql_value "select round(rmse, 4) from evaluate_holdout_rmse where keypoint = 'overall'" 1)
"${fkd[@]}" run pipelines/stack-real.json "${sets[@]}" --set holdout_rows.csv="$data/holdout.csv.gz" "${extra[@]}" "${stack_extra[@]}" >&2
echo "pipelines' wall time: $(( $(date +%s) - start )) s" >&2

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
pipeline=pipelines/stack-real.json; pipeline_extra=("${stack_extra[@]}")
holdout_rmse=$(sql_value "select round(rmse, 4) from ${holdout}_rmse where keypoint = 'overall'" 1)
echo "stack-real's best by validation RMSE: $predictor (validation $val_rmse px); accuracy.json's recipe: validation $single_val px" >&2
if awk -v a="$single_val" -v b="$val_rmse" 'BEGIN { exit !(a < b) }'; then
  predictor="single (accuracy.json's recipe, train_all)"; val_rmse=$single_val; holdout=evaluate_holdout
  predictions=predict_holdout; pipeline=pipelines/accuracy.json; pipeline_extra=("${single_extra[@]}"); holdout_rmse=$single_holdout
fi
echo "best predictor by validation RMSE: $predictor (validation $val_rmse px)"
echo "holdout RMSE: $holdout_rmse px"

if [ -n "$labelled" ]; then
  "${fkd[@]}" run "$pipeline" "${sets[@]}" --set holdout_rows.csv="$labelled" "${extra[@]}" "${pipeline_extra[@]}" >&2
  rmse=$(sql_value "select round(rmse, 4) from ${holdout}_rmse where keypoint = 'overall'" 1)
  faces=$(sql_value "select count(*) from ${predictions}_predictions" 1)
  echo "{\"rmse\": $rmse, \"faces\": $faces}"
fi
