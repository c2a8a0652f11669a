# Sourced by the faces-real benchmarks: takes the folder argument, checks the three files it must
# hold, moves to the repository root and builds Release. Sets: data (absolute folder), fkd (the CLI).
#   source "$(dirname "$0")/faces-real-setup.sh" "$0" "$@"
script=$1; shift
data=${1:?usage: $script <faces-real folder>}
data=$(cd "$data" && pwd)
cd "$(dirname "$script")/.."
for f in train.csv.gz train_sources.csv holdout.csv.gz; do
  [ -f "$data/$f" ] || { echo "missing $data/$f" >&2; exit 2; }
done
dotnet build src/Fkd.Cli -c Release -v quiet -nologo >&2
fkd=(dotnet src/Fkd.Cli/bin/Release/net10.0/Fkd.Cli.dll)
