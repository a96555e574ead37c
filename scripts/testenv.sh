#!/usr/bin/env bash
# Throwaway PostgreSQL + NATS on loopback for the test suite.
#
#   scripts/testenv.sh start DIR   start both on free 127.0.0.1 ports, write DIR/env
#   scripts/testenv.sh stop DIR    stop what `start` started (by pg_ctl / PID) and remove DIR
#
# DIR/env (source it) exports KANTOR_TEST_PG_URL, KANTOR_TEST_NATS_URL, KANTOR_TEST_PG_PORT,
# KANTOR_TEST_NATS_PORT. PostgreSQL refuses to run as root, so when run as root the cluster is
# created and run as the `postgres` user. fsync is off: the data is thrown away.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2
log() { echo "testenv: $*" >&2; }
die() { echo "testenv: error: $*" >&2; exit 1; }

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (run scripts/setup.sh)"
  echo "$d"
}

# Run a command as the user that owns the cluster: postgres when we are root, else ourselves.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    local q
    printf -v q '%q ' "$@"
    su postgres -s /bin/sh -c "cd / && $q"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

tcp_open() { # host port
  python3 - "$1" "$2" <<'EOF' 2>/dev/null
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
sys.exit(0)
EOF
}

nats_info() { # port -> succeeds once the server greets with its INFO line
  python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.settimeout(2)
data = s.recv(4096)
sys.exit(0 if data.startswith(b"INFO ") else 1)
EOF
}

start() {
  command -v nats-server >/dev/null || die "nats-server not found (run scripts/setup.sh)"
  command -v python3 >/dev/null || die "python3 not found"
  local bindir
  bindir=$(pg_bindir)

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -e $dir/pg && ! -e $dir/env ]] || die "$dir already holds a test environment (stop it first)"

  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user (is the postgresql package installed?)"
    # mktemp -d makes a 0700 dir; postgres must be able to reach DIR/pg and DIR/pgsock.
    chmod 0755 "$dir"
    local p=$dir
    while p=$(dirname "$p") && [[ $p != / ]]; do
      if ! su postgres -s /bin/sh -c "test -x '$p'"; then
        die "postgres cannot traverse $p; choose DIR under /tmp (e.g. mktemp -d)"
      fi
    done
  fi

  mkdir -p "$dir/pg" "$dir/pgsock"
  chmod 0700 "$dir/pg"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir/pg" "$dir/pgsock"; fi

  local pg_port nats_port
  pg_port=$(free_port)
  nats_port=$(free_port)
  while [[ $nats_port == "$pg_port" ]]; do nats_port=$(free_port); done

  # --- PostgreSQL ---
  as_pg "$bindir/initdb" -D "$dir/pg" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # pg_ctl's log file must be writable by the cluster owner: keep it inside DIR/pg.
  # setsid: a Ctrl-C in the terminal must not hit the servers; `stop` shuts them down in order.
  if ! as_pg setsid -w "$bindir/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 60 \
      -o "-p $pg_port -k $dir/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >"$dir/pg_ctl.log" 2>&1; then
    cat "$dir/pg_ctl.log" "$dir/pg/server.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start"
  fi
  echo "$pg_port" >"$dir/pg.port"

  local i
  for i in $(seq 1 100); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres; then break; fi
    [[ $i -lt 100 ]] || { stop_services; die "PostgreSQL not accepting connections on port $pg_port"; }
    sleep 0.1
  done

  # --- NATS ---
  setsid -w nats-server -a 127.0.0.1 -p "$nats_port" -P "$dir/nats.pid" -l "$dir/nats.log" \
    </dev/null >>"$dir/nats.log" 2>&1 &
  echo $! >"$dir/nats.spawned.pid"
  for i in $(seq 1 100); do
    if nats_info "$nats_port"; then break; fi
    if { [[ ! -f $dir/nats.pid ]] && ! kill -0 "$(cat "$dir/nats.spawned.pid")" 2>/dev/null; } || [[ $i -eq 100 ]]; then
      cat "$dir/nats.log" >&2 2>/dev/null || true
      stop_services
      die "nats-server not accepting connections on port $nats_port"
    fi
    sleep 0.1
  done

  cat >"$dir/env" <<EOF
export KANTOR_TEST_PG_URL=postgres://postgres@127.0.0.1:$pg_port/postgres
export KANTOR_TEST_NATS_URL=nats://127.0.0.1:$nats_port
export KANTOR_TEST_PG_PORT=$pg_port
export KANTOR_TEST_NATS_PORT=$nats_port
export KANTOR_TEST_ENV_DIR=$dir
EOF
  log "PostgreSQL on 127.0.0.1:$pg_port, NATS on 127.0.0.1:$nats_port (source $dir/env)"
}

stop_services() {
  local rc=0
  # NATS: the PID nats-server wrote to its pid file (else the PID we spawned), and only if that
  # process really is nats-server.
  local pid=""
  [[ -f $dir/nats.pid ]] && pid=$(cat "$dir/nats.pid")
  [[ -z $pid && -f $dir/nats.spawned.pid ]] && pid=$(cat "$dir/nats.spawned.pid")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == nats-server ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      local i
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    else
      log "PID $pid is not nats-server any more; not killing it"
    fi
  fi
  rm -f "$dir/nats.spawned.pid" "$dir/nats.pid"

  # PostgreSQL: pg_ctl stop on the cluster we created (fast mode, then immediate).
  if [[ -f $dir/pg/postmaster.pid ]]; then
    local bindir
    bindir=$(pg_bindir)
    if ! as_pg "$bindir/pg_ctl" -D "$dir/pg" -m fast -w -t 30 stop >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$dir/pg" -m immediate -w -t 30 stop >/dev/null 2>&1 || rc=1
    fi
  fi
  return $rc
}

stop() {
  if [[ ! -d $dir ]]; then
    log "$dir does not exist; nothing to stop"
    return 0
  fi
  dir=$(cd "$dir" && pwd)
  if [[ ! -e $dir/pg && ! -e $dir/env && ! -e $dir/nats.spawned.pid ]]; then
    # Not ours (or already stopped): refuse to rm -rf something we did not create.
    if [[ -z $(ls -A "$dir") ]]; then rmdir "$dir"; return 0; fi
    die "$dir does not look like a test environment; not removing it"
  fi
  local rc=0
  stop_services || rc=1
  rm -rf "$dir"
  [[ $rc -eq 0 ]] && log "stopped and removed $dir" || log "stopped with errors; removed $dir"
  return $rc
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
