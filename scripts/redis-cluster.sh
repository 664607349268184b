#!/usr/bin/env bash
# A local Redis Cluster for tests, CI and benchmarks: 3 primaries + 3 replicas on loopback, from
# Debian's redis-server/redis-cli, nothing kept on disk.
#
#   scripts/redis-cluster.sh start    # reuses a healthy cluster already running on these ports
#   scripts/redis-cluster.sh stop
#   scripts/redis-cluster.sh status   # exit 0 when cluster_state:ok
#   scripts/redis-cluster.sh nodes    # prints the start-up node list (REDIS_CLUSTER_NODES)
#   scripts/redis-cluster.sh node P   # restarts the node on port P (after a failover test killed it)
#
# Environment (all optional):
#   REDIS_CLUSTER_PORT     first port; nodes use PORT..PORT+5 and bus ports BUS..BUS+5  (7100)
#   REDIS_CLUSTER_BUS_PORT first cluster-bus port                                      (PORT+10000)
#   REDIS_CLUSTER_DIR      where configs, pid files and logs live   (${TMPDIR:-/tmp}/rampart-redis-cluster-PORT)
#   REDIS_CLUSTER_NODE_TIMEOUT  cluster-node-timeout in ms: how long a silent primary is given before
#                          its replica is promoted. Not too small on a shared machine: a node that
#                          misses heartbeats under load would be failed over for nothing.   (3000)
set -euo pipefail

PORT="${REDIS_CLUSTER_PORT:-7100}"
BUS="${REDIS_CLUSTER_BUS_PORT:-$((PORT + 10000))}"
DIR="${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/rampart-redis-cluster-$PORT}"
NODE_TIMEOUT="${REDIS_CLUSTER_NODE_TIMEOUT:-3000}"
PORTS=$(seq "$PORT" $((PORT + 5)))

nodes() {
  local list=""
  for p in $PORTS; do list="${list:+$list,}127.0.0.1:$p"; done
  echo "$list"
}

healthy() {
  local p
  for p in $PORTS; do
    redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    # Every node knows every replica: failover tests need a replica to promote.
    [ "$(redis-cli -h 127.0.0.1 -p "$p" cluster nodes 2>/dev/null | grep -cE ' (myself,)?slave ')" -eq 3 ] || return 1
  done
}

stop() {
  local p pid
  for p in $PORTS; do
    redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 || true
    if [ -f "$DIR/$p.pid" ]; then
      pid=$(cat "$DIR/$p.pid")
      # A node stopped with SIGSTOP (failover tests) cannot answer SHUTDOWN.
      kill -CONT "$pid" 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
}

# Starts (or restarts) the node on port $1 with its saved cluster configuration: it rejoins the
# cluster, as a replica when its replica was promoted meanwhile.
start_node() {
  local p="$1"
  redis-server --port "$p" --cluster-port $((BUS + p - PORT)) --bind 127.0.0.1 --daemonize yes \
    --cluster-enabled yes --cluster-config-file "$DIR/$p.conf" --cluster-node-timeout "$NODE_TIMEOUT" \
    --dir "$DIR" --pidfile "$DIR/$p.pid" --logfile "$DIR/$p.log" --save "" --appendonly no
}

start() {
  if healthy; then
    echo "Redis Cluster already up on 127.0.0.1:$PORT-$((PORT + 5))"
    return 0
  fi
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
    echo "redis-server and redis-cli are needed (apt-get install redis-server)" >&2
    return 1
  }
  stop
  mkdir -p "$DIR"
  local p
  for p in $PORTS; do start_node "$p"; done
  for p in $PORTS; do
    for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  local hosts=()
  for p in $PORTS; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 || {
    cat "$DIR/create.log" >&2
    return 1
  }
  for _ in $(seq 1 300); do
    healthy && {
      echo "Redis Cluster up on 127.0.0.1:$PORT-$((PORT + 5)) (data in $DIR)"
      return 0
    }
    sleep 0.1
  done
  echo "Redis Cluster on 127.0.0.1:$PORT-$((PORT + 5)) did not reach cluster_state:ok in 30 s" >&2
  return 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) healthy ;;
  nodes) nodes ;;
  node) start_node "$2" ;;
  *)
    echo "usage: $0 start|stop|status|nodes|node PORT" >&2
    exit 2
    ;;
esac
