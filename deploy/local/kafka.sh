#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, combined broker + controller), run from
# the official jars that Maven resolves from Maven Central (deploy/local/pom.xml).
#
#   deploy/local/kafka.sh start    # idempotent; formats storage on first use; waits until ready
#   deploy/local/kafka.sh stop     # clean shutdown (SIGTERM, then waits)
#   deploy/local/kafka.sh status   # exit 0 when the broker answers, 1 otherwise
#   deploy/local/kafka.sh logs     # follows the broker log
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1),
# NEWSFLOW_LOCAL_DIR (.local under the project: data, logs, pid, class path),
# KAFKA_HEAP_OPTS (-Xmx1g -Xms1g), KAFKA_START_TIMEOUT (90 seconds), JAVA (java on PATH).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
local_dir="${NEWSFLOW_LOCAL_DIR:-$root/.local}"
state="$local_dir/kafka-$port"
data="$state/data"
log_dir="$state/logs"
log_file="$log_dir/server.log"
pid_file="$state/kafka.pid"
props="$state/server.properties"
java="${JAVA:-java}"
timeout_s="${KAFKA_START_TIMEOUT:-90}"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }

# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"

running_pid() { pid_alive "$pid_file"; }

write_props() {
  mkdir -p "$data" "$log_dir"
  cat >"$props" <<EOF
# Written by deploy/local/kafka.sh; edit the script, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$data
num.partitions=6
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
EOF
}

cmd_start() {
  local t0 pid
  t0=$(date +%s%3N)
  if pid="$(running_pid)"; then
    if port_open "$port"; then
      log "already running (pid $pid) on 127.0.0.1:$port"
      return 0
    fi
  fi
  if port_open "$port"; then
    if metadata_ok "$port"; then
      log "a Kafka broker not started from this checkout already answers on 127.0.0.1:$port; using it"
      return 0
    fi
    log "something else already listens on 127.0.0.1:$port; set KAFKA_PORT"
    return 1
  fi
  command -v "$java" >/dev/null || { log "java not found"; return 1; }
  classpath >/dev/null
  write_props
  if [[ ! -f "$data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    log "formatting storage in $data (cluster id $cluster_id)"
    format_storage "$props" "$log_dir" --standalone -t "$cluster_id"
  fi
  launch_node "$props" "$log_dir" "$pid_file" "${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g}"
  log "started pid $(cat "$pid_file"); log: $log_file"
  wait_ready "$t0"
}

# Ready means: the process is alive, it has logged "Kafka Server started", and a Kafka
# client's metadata request is answered (checked with the broker's own API-versions tool).
wait_ready() {
  local t0="$1" deadline now
  deadline=$(($(date +%s) + timeout_s))
  while :; do
    if ! running_pid >/dev/null; then
      log "the broker exited during start-up; last log lines:"
      tail -n 30 "$log_dir/stdout.log" "$log_file" >&2 2>/dev/null || true
      return 1
    fi
    if port_open "$port" && grep -q "Kafka Server started" "$log_file" 2>/dev/null \
      && metadata_ok "$port"; then
      now=$(date +%s%3N)
      log "ready on 127.0.0.1:$port in $(((now - t0) / 1000)).$(((now - t0) % 1000 / 100)) s"
      return 0
    fi
    if (($(date +%s) > deadline)); then
      log "not ready after ${timeout_s}s; see $log_file"
      return 1
    fi
    sleep 0.3
  done
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$pid_file"
    return 0
  fi
  log "stopping pid $pid"
  stop_pid "$pid_file" || true
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)" && port_open "$port" && metadata_ok "$port"; then
    echo "running (pid $pid) on 127.0.0.1:$port; log: $log_file"
    return 0
  fi
  echo "not running (127.0.0.1:$port)"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop && cmd_start ;;
  logs) exec tail -F "$log_file" ;;
  *) echo "usage: $0 start|stop|status|restart|logs" >&2; exit 2 ;;
esac
