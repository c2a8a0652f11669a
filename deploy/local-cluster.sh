#!/usr/bin/env bash
# A whole cluster on this machine, loopback only: PostgreSQL (Hangfire's jobs and the commits), s3rver
# (the shared store) and N workers. This is how a user tries `run --distributed`, and how the tests and
# `bench distributed` start it.
#
#   deploy/local-cluster.sh up [--workers N] [--slots N] [--queues cpu,gpu] [--watch PID]
#   deploy/local-cluster.sh down [--purge]
#   deploy/local-cluster.sh status
#
# `up` prints on stdout the `export` lines that point the CLI at the cluster (FKD_DB, FKD_REMOTE,
# FKD_S3_ENDPOINT, AWS credentials); run it as  eval "$(deploy/local-cluster.sh up)". Everything lives
# in $FKD_CLUSTER_DIR (default artifacts/cluster): data, logs, pids, and env (the same export lines).
# --watch PID stops the cluster by itself when process PID ends (the tests pass their own).
# Workers run the built CLI ($FKD_CLI, default: the Release build, built when missing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${FKD_CLUSTER_DIR:-$root/artifacts/cluster}"
bucket=fkd
say() { echo "local-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

pg_bin() {
  local b
  for b in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/lib/postgresql/*/bin; do
    [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && { echo "$b"; return; }
  done
  return 1
}

# PostgreSQL refuses to run as root: then its cluster belongs to the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

pg_dir() { cat "$state/pg.dir" 2>/dev/null || echo "$state/pg"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

cli() {
  if [ -n "${FKD_CLI:-}" ]; then echo "$FKD_CLI"; return; fi
  local dll="$root/src/Fkd.Cli/bin/Release/net10.0/Fkd.Cli.dll"
  if [ ! -f "$dll" ]; then
    say "building the program (Release) ..."
    dotnet build "$root/src/Fkd.Cli" -c Release -v quiet -nologo >&2 || die "the build failed"
  fi
  echo "dotnet $dll"
}

up() {
  local workers=2 slots=1 queues=cpu watch=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --workers) workers="$2"; shift 2 ;;
      --slots) slots="$2"; shift 2 ;;
      --queues) queues="$2"; shift 2 ;;
      --watch) watch="$2"; shift 2 ;;
      *) die "unknown option $1 (expected --workers N, --slots N, --queues Q, --watch PID)" ;;
    esac
  done
  [[ "$workers" =~ ^[0-9]+$ ]] || die "--workers $workers: expected a number"
  command -v node >/dev/null || die "node is needed for the S3 test server (apt-get install nodejs npm)"
  local bin; bin="$(pg_bin)" || die "PostgreSQL is needed (apt-get install postgresql-15)"
  mkdir -p "$state"
  [ -f "$state/env" ] && [ -f "$(pg_dir)/postmaster.pid" ] && die "already up in $state (down first)"

  # PostgreSQL: its own cluster in the state folder, trust auth on loopback only, socket in the folder too.
  # As root it runs as the postgres user, which may not reach the state folder (e.g. under a private
  # home or temp folder): then its data lives in a folder of its own under /tmp, named in pg.dir.
  local pgdata="$state/pg" pgport; pgport="$(free_port)"
  if [ -f "$state/pg.dir" ]; then pgdata="$(cat "$state/pg.dir")"
  elif [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$state"; then pgdata="$(mktemp -d /tmp/fkd-pg-XXXXXX)"; fi
  echo "$pgdata" > "$state/pg.dir"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"; chmod 700 "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres: "$pgdata"
    as_pg "$bin/initdb" -D "$pgdata" -U fkd --auth=trust -E UTF8 >"$state/initdb.log" 2>&1 || die "initdb failed: see $state/initdb.log"
  fi
  as_pg "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdata -c max_connections=200 -c fsync=off" start >/dev/null \
    || die "PostgreSQL did not start: see $pgdata/server.log"
  echo "$pgport" > "$state/pg.port"

  # s3rver: from the pinned package (installed on first use); it exits when its stdin (a sleep's pipe) closes.
  local pkg="$root/tests/s3rver"
  if [ ! -f "$pkg/node_modules/s3rver/package.json" ]; then
    say "installing s3rver (npm ci in tests/s3rver) ..."
    (cd "$pkg" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
  mkdir -p "$state/s3"
  local s3port; s3port="$(free_port)"
  # Nothing of it may hold this script's stdout open: a caller reading the export lines waits for its end.
  (sleep infinity | exec node "$pkg/serve.js" "$state/s3" "$s3port" "$bucket" >"$state/s3.log" 2>&1) >/dev/null 2>&1 </dev/null &
  echo $! > "$state/s3.pid"
  for _ in $(seq 1 100); do grep -q '^listening' "$state/s3.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^listening' "$state/s3.log" || die "s3rver did not start: see $state/s3.log"

  cat > "$state/env" <<ENV
export FKD_DB='Host=127.0.0.1;Port=$pgport;Username=fkd;Database=postgres;Pooling=true;Maximum Pool Size=50'
export FKD_REMOTE='s3://$bucket/cluster'
export FKD_S3_ENDPOINT='http://127.0.0.1:$s3port'
export AWS_ACCESS_KEY_ID='S3RVER'
export AWS_SECRET_ACCESS_KEY='S3RVER'
export AWS_REGION='us-east-1'
ENV
  # shellcheck disable=SC1091
  . "$state/env"

  local c; c="$(cli)"
  for i in $(seq 1 "$workers"); do
    mkdir -p "$state/worker-$i"
    # shellcheck disable=SC2086
    nohup $c --store "$state/worker-$i/store" worker --name "worker-$i" --queues "$queues" --slots "$slots" \
      >"$state/worker-$i/log" 2>&1 </dev/null &
    echo $! > "$state/worker-$i/pid"
  done

  if [ -n "$watch" ]; then
    nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; FKD_CLUSTER_DIR='$state' '$0' down --purge" >/dev/null 2>&1 </dev/null &
  fi
  say "up in $state: PostgreSQL on 127.0.0.1:$pgport, s3rver on 127.0.0.1:$s3port, $workers worker(s)"
  cat "$state/env"
}

down() {
  local purge=""
  [ "${1:-}" = "--purge" ] && purge=1
  [ -d "$state" ] || { say "nothing in $state"; return 0; }
  for p in "$state"/worker-*/pid; do
    [ -f "$p" ] || continue
    alive "$p" && kill -TERM "$(cat "$p")" 2>/dev/null || true
  done
  for p in "$state"/worker-*/pid; do
    [ -f "$p" ] || continue
    for _ in $(seq 1 50); do alive "$p" || break; sleep 0.2; done
    alive "$p" && kill -KILL "$(cat "$p")" 2>/dev/null || true
    rm -f "$p"
  done
  if [ -f "$state/s3.pid" ]; then
    pkill -TERM -P "$(cat "$state/s3.pid")" 2>/dev/null || true
    kill -TERM "$(cat "$state/s3.pid")" 2>/dev/null || true
    rm -f "$state/s3.pid"
  fi
  local bin pgdata; pgdata="$(pg_dir)"
  if [ -f "$pgdata/postmaster.pid" ] && bin="$(pg_bin)"; then
    as_pg "$bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$state/env"
  if [ -n "$purge" ]; then
    [ "$pgdata" != "$state/pg" ] && rm -rf "$pgdata"
    rm -rf "$state"
  fi
  say "down"
}

status() {
  local bin rc=0 pgdata; pgdata="$(pg_dir)"
  if [ -f "$pgdata/postmaster.pid" ] && bin="$(pg_bin)" && as_pg "$bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    echo "postgresql  up    127.0.0.1:$(cat "$state/pg.port")"
  else echo "postgresql  down"; rc=1; fi
  if alive "$state/s3.pid"; then echo "s3rver      up    $(grep FKD_S3_ENDPOINT "$state/env" | cut -d"'" -f2)"; else echo "s3rver      down"; rc=1; fi
  for p in "$state"/worker-*/pid; do
    [ -f "$p" ] || continue
    local n; n="$(basename "$(dirname "$p")")"
    if alive "$p"; then echo "$n    up    pid $(cat "$p")"; else echo "$n    down"; fi
  done
  return $rc
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  up) up "$@" ;;
  down) down "$@" ;;
  status) status ;;
  *) echo "usage: $0 up [--workers N] [--slots N] [--queues Q] [--watch PID] | down [--purge] | status" >&2; exit 2 ;;
esac
