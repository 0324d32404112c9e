# shellcheck shell=bash
# Shared by the examples' run scripts (sourced, not run): what every multi-host run does —
# messages, starting processes in their own sessions (optionally in a host's network
# namespace), waiting for a log line, stopping everything on exit, hosts as namespaces,
# and the README's sed of <PLACEHOLDERS>. The sourcing script sets ROOT and STARTED (its
# $SECONDS at start), then calls use_swarm and use_workspace.

PIDS=() NAMES=() NETNS=() CLEANUP=()

die() {
  echo "run: $*" >&2
  exit 1
}

say() { printf '[%5d s] %s\n' $((SECONDS - STARTED)) "$*"; }

# Prints a command as the README writes it: swarm for the binary, $R for the repository.
show() {
  local text
  text=$(printf '%q ' "$@")
  text=${text//$SWARM/swarm}
  text=${text//$ROOT/\$R}
  echo "  \$ ${text% }"
}

# run_shown CMD...: prints CMD as the README writes it, then runs it; run_quiet leaves out
# its standard output.
run_shown() {
  show "$@"
  "$@"
}
run_quiet() {
  show "$@"
  "$@" >/dev/null
}

# in_host HOST CMD...: CMD in host HOST's network namespace (HOST 1, 2, ...), shown.
in_host() {
  local host=$1
  shift
  run_shown ip netns exec "${NETNS[host - 1]}" "$@"
}

# start NAME HOST LOG CMD...: CMD in the background in HOST's namespace (no namespaces made:
# on this host), in its own session, output to LOG.
start() {
  local name=$1 host=$2 log=$3
  shift 3
  if ((${#NETNS[@]} > 0)); then
    show ip netns exec "${NETNS[host - 1]}" "$@"
    setsid ip netns exec "${NETNS[host - 1]}" "$@" >"$log" 2>&1 </dev/null &
  else
    show "$@"
    setsid "$@" >"$log" 2>&1 </dev/null &
  fi
  PIDS+=($!)
  NAMES+=("$name")
}

tail_of() { tail -n 15 "$1" | sed 's/^/    /'; }

# wait_for_log NAME LOG TEXT SECONDS: until TEXT is in LOG; fails if the last started
# process ends first.
wait_for_log() {
  local name=$1 log=$2 text=$3 limit=$4 pid=${PIDS[-1]} start=$SECONDS
  until grep -qsF -- "$text" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local rc=0
      wait "$pid" || rc=$?
      die "$name exited with status $rc before logging '$text'; $log ends:"$'\n'"$(tail_of "$log")"
    fi
    ((SECONDS - start < limit)) || die "waited $limit s for $name to log '$text'; $log ends:"$'\n'"$(tail_of "$log")"
    sleep 0.2
  done
}

# stop_all: the EXIT trap. Stops every started process (its whole session) in reverse
# order, at most 10 s each, deletes the namespaces, and runs CLEANUP's commands.
stop_all() {
  local code=$? i pid
  trap - EXIT
  trap '' INT TERM # cleaning up is bounded (10 s a process); a second Ctrl-C does not cut it short
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run: ${NAMES[i]} did not stop within 10 s of SIGTERM; killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${NETNS[@]}"; do
    ip netns delete "$ns" 2>/dev/null || echo "run: could not delete network namespace $ns" >&2
  done
  for c in "${CLEANUP[@]}"; do eval "$c" || echo "run: clean-up '$c' failed" >&2; done
  if ((code == 130 || code == 143)); then
    echo "run: stopped after $((SECONDS - STARTED)) s; nothing it started is left running; logs in $WORKSPACE" >&2
  elif ((code != 0)); then
    echo "run: failed (exit status $code) after $((SECONDS - STARTED)) s; nothing it started is left running; logs in $WORKSPACE" >&2
  fi
  exit "$code"
}

# Exits 77 (a skip) with the reason when network namespaces cannot be made here.
need_namespaces() {
  local probe="swarm-probe-$$" err
  if ! err=$(ip netns add "$probe" 2>&1); then
    echo "run: this example needs network namespaces, which cannot be made here (ip netns add: ${err:-no reason given}); it needs root (CAP_SYS_ADMIN) and the ip command" >&2
    exit 77
  fi
  ip netns delete "$probe"
}

# make_hosts PREFIX IP...: one network namespace per IP, named PREFIX-hN, the hosts joined by
# a bridge in the first (a veth pair each), or alone with its address on a veth of its own.
make_hosts() {
  local prefix=$1 n=0 ip
  shift
  for ip in "$@"; do
    n=$((n + 1))
    run_shown ip netns add "$prefix-h$n"
    NETNS+=("$prefix-h$n")
    ip -n "$prefix-h$n" link set lo up
  done
  if (($# == 1)); then
    # (a veth pair inside the namespace: the dummy device is not in every kernel, gVisor's included)
    run_shown ip -n "${NETNS[0]}" link add eth0 type veth peer name eth1
    run_shown ip -n "${NETNS[0]}" addr add "$1/24" dev eth0
    ip -n "${NETNS[0]}" link set eth0 up
    ip -n "${NETNS[0]}" link set eth1 up
    return
  fi
  run_shown ip -n "${NETNS[0]}" link add br0 type bridge
  ip -n "${NETNS[0]}" link set br0 up
  n=0
  for ip in "$@"; do
    n=$((n + 1))
    if ((n == 1)); then
      run_shown ip -n "${NETNS[0]}" addr add "$ip/24" dev br0
      continue
    fi
    run_shown ip link add "veth$n" netns "${NETNS[0]}" type veth peer name eth0 netns "${NETNS[n - 1]}"
    ip -n "${NETNS[0]}" link set "veth$n" master br0 up
    run_shown ip -n "${NETNS[n - 1]}" addr add "$ip/24" dev eth0
    ip -n "${NETNS[n - 1]}" link set eth0 up
  done
}

# placeholders FILE NAME=VALUE...: HPE's sed of the <PLACEHOLDERS>, printed with $PWD for the workspace.
placeholders() {
  local file=$1 kv args=() shown=""
  shift
  for kv in "$@"; do
    args+=(-e "s+<${kv%%=*}>+${kv#*=}+g")
    shown+=" -e \"s+<${kv%%=*}>+${kv#*=}+g\""
  done
  shown=${shown//$WORKSPACE/\$PWD}
  echo "  \$ sed -i${shown//$ROOT/\$R} $file"
  sed -i "${args[@]}" "$file"
}

# use_workspace PREFIX: WORKSPACE (new or empty) or a new /tmp/PREFIX-XXXXXX, made absolute,
# and the current directory; installs the EXIT, INT and TERM traps.
use_workspace() {
  if [[ -n ${WORKSPACE:-} ]]; then
    [[ ! -d $WORKSPACE || -z $(ls -A "$WORKSPACE") ]] ||
      die "the workspace $WORKSPACE exists and is not empty; name a new one with WORKSPACE"
    mkdir -p "$WORKSPACE"
  else
    WORKSPACE=$(mktemp -d "/tmp/$1-XXXXXX")
  fi
  WORKSPACE=$(cd "$WORKSPACE" && pwd)
  trap stop_all EXIT
  trap 'echo "run: interrupted; stopping everything it started" >&2; exit 130' INT
  trap 'echo "run: terminated; stopping everything it started" >&2; exit 143' TERM
  cd "$WORKSPACE" || die "cannot enter the workspace $WORKSPACE"
}

# use_swarm: SWARM (default build/src/cli/swarm) made absolute; PYTHONPATH and SWARM_PYTHON
# (for a task's Envvars) name the swarmlearning package built beside it.
use_swarm() {
  SWARM=${SWARM:-$ROOT/build/src/cli/swarm}
  [[ -x $SWARM ]] || die "$SWARM is not there; run scripts/setup first (it builds swarm), or set SWARM"
  SWARM=$(cd "$(dirname "$SWARM")" && pwd)/$(basename "$SWARM")
  local package
  package=$(dirname "$SWARM")/../../python
  if [[ -d $package/swarmlearning ]]; then
    PYTHONPATH="$(cd "$package" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONPATH
  fi
  # shellcheck disable=SC2034 # read by the sourcing script
  SWARM_PYTHON=${PYTHONPATH:-\~}
}

# wait_for_swci PID LOG TIMEOUT PROGRESS_FN SWOP_PID...: until SWCI (PID, logging to LOG)
# ends; fails if a SWOP ends first or TIMEOUT seconds pass; calls PROGRESS_FN every 5 s;
# fails unless SWCI exited 0 having seen its task COMPLETED.
wait_for_swci() {
  local pid=$1 log=$2 limit=$3 progress=$4 shown=$SECONDS deadline=$((SECONDS + $3)) code=0 p
  shift 4
  while kill -0 "$pid" 2>/dev/null; do
    for p in "$@"; do
      kill -0 "$p" 2>/dev/null || die "a SWOP ended during the task; see the SWOP logs in $WORKSPACE"
    done
    ((SECONDS < deadline)) || die "SWCI did not finish within $limit s (TIMEOUT); $log ends:"$'\n'"$(tail_of "$log")"
    if ((SECONDS - shown >= 5)); then
      shown=$SECONDS
      "$progress"
    fi
    sleep 0.2
  done
  wait "$pid" || code=$?
  ((code == 0)) || die "SWCI failed (exit status $code); $log ends:"$'\n'"$(tail_of "$log")"
  grep -q "COMPLETED" "$log" || die "SWCI ended but the task did not complete; see $log"
}

# last_round LOG: the newest round an SL's log says it merged, or -.
last_round() {
  { grep -oE 'merged model of round [0-9]+' "$1" 2>/dev/null || true; } | tail -n 1 | grep -oE '[0-9]+$' || echo -
}

positive() { # NAME VALUE
  [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || die "$1 must be a positive integer; got '$2'"
}

free_ports() { # N: N distinct free TCP ports on 127.0.0.1
  /usr/bin/python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
