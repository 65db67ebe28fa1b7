#!/usr/bin/env bash
# A local three-node Apache Kafka cluster (KRaft, each node a combined broker and controller,
# the three a static controller quorum) on loopback, from the same jars as kafka.sh. Topics
# get three replicas and min.insync.replicas=2 unless created otherwise.
#
#   deploy/local/cluster.sh start [N]   # every node, or node N; idempotent; waits until ready
#   deploy/local/cluster.sh stop [N]    # clean shutdown of every node (at once), or of node N
#   deploy/local/cluster.sh kill N      # SIGKILL node N (fault drills)
#   deploy/local/cluster.sh status      # one line per node; exit 0 when all three answer
#   deploy/local/cluster.sh leader      # the node id of the controller quorum's leader
#   deploy/local/cluster.sh bootstrap   # the bootstrap list, 127.0.0.1:19092,...
#   deploy/local/cluster.sh acls ARGS   # kafka-acls (AclCommand) as the admin: --add ...
#   deploy/local/cluster.sh logs N      # follows node N's log
#
# Node N (1-3) listens on CLUSTER_PORT+N-1 (19092, 19093, 19094: clear of the single broker's
# 9092/9093) and its controller on CLUSTER_CONTROLLER_PORT+N-1 (19192...).
# Settings (environment): CLUSTER_PORT, CLUSTER_CONTROLLER_PORT, CLUSTER_DIR (.local/cluster:
# data, logs, pids), CLUSTER_HEAP_OPTS (-Xmx512m -Xms512m), CLUSTER_START_TIMEOUT (120 s),
# NEWSFLOW_LOCAL_DIR (where the class path is kept, as kafka.sh), JAVA.
#
# CLUSTER_SECURE_DIR, when set, names a directory holding ca.pem (the CA), broker.p12 (the
# brokers' key and certificate for 127.0.0.1, PKCS12) and secure.env (KEYSTORE_PASSWORD,
# ADMIN_PASSWORD, SCRAM_USERS="name:password ..."); the listeners are then SASL_SSL with
# SCRAM-SHA-512 (the controllers' SASL_PLAINTEXT with PLAIN), authorization is on
# (StandardAuthorizer, super user User:admin, nothing allowed without an ACL), and the SCRAM
# users are created when the storage is formatted. tests/cluster/tls.py writes such a directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
local_dir="${NEWSFLOW_LOCAL_DIR:-$root/.local}"
base_port="${CLUSTER_PORT:-19092}"
base_cport="${CLUSTER_CONTROLLER_PORT:-$((base_port + 100))}"
cluster_dir="${CLUSTER_DIR:-$local_dir/cluster}"
secure="${CLUSTER_SECURE_DIR:-}"
heap="${CLUSTER_HEAP_OPTS:--Xmx512m -Xms512m}"
java="${JAVA:-java}"
timeout_s="${CLUSTER_START_TIMEOUT:-120}"
nodes=(1 2 3)

log() { printf 'cluster.sh: %s\n' "$*" >&2; }

# shellcheck source=deploy/local/lib.sh
. "$here/lib.sh"

port_of() { echo $((base_port + $1 - 1)); }
cport_of() { echo $((base_cport + $1 - 1)); }
state_of() { echo "$cluster_dir/node-$1"; }
pid_file_of() { echo "$(state_of "$1")/kafka.pid"; }
log_file_of() { echo "$(state_of "$1")/logs/server.log"; }
bootstrap() {
  local n out=()
  for n in "${nodes[@]}"; do out+=("127.0.0.1:$(port_of "$n")"); done
  (IFS=,; echo "${out[*]}")
}
voters() {
  local n out=()
  for n in "${nodes[@]}"; do out+=("$n@127.0.0.1:$(cport_of "$n")"); done
  (IFS=,; echo "${out[*]}")
}

admin_props="$cluster_dir/admin.properties"
if [[ -n "$secure" ]]; then
  # shellcheck source=/dev/null # written by the test that made the certificates
  . "$secure/secure.env"
  # What the readiness check (pipeline.security) connects as: the super user.
  export NEWSFLOW_KAFKA_SECURITY_PROTOCOL=SASL_SSL NEWSFLOW_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
  export NEWSFLOW_KAFKA_SASL_USERNAME=admin NEWSFLOW_KAFKA_SASL_PASSWORD="$ADMIN_PASSWORD"
  export NEWSFLOW_KAFKA_SSL_CAFILE="$secure/ca.pem"
fi

write_admin_props() {
  mkdir -p "$cluster_dir"
  [[ -n "$secure" ]] || { : >"$admin_props"; return; }
  (
    umask 077
    cat >"$admin_props" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$secure/ca.pem
EOF
  )
}

write_props() {
  local n="$1" state port cport
  state="$(state_of "$n")"
  port="$(port_of "$n")"
  cport="$(cport_of "$n")"
  mkdir -p "$state/data" "$state/logs"
  (
    umask 077
    cat >"$state/server.properties" <<EOF
# Written by deploy/local/cluster.sh; edit the script, not this file.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
controller.listener.names=CONTROLLER
log.dirs=$state/data
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
replica.lag.time.max.ms=10000
auto.create.topics.enable=true
log.retention.hours=168
EOF
    if [[ -z "$secure" ]]; then
      cat >>"$state/server.properties" <<EOF
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
EOF
    else
      cat >>"$state/server.properties" <<EOF
listeners=SASL_SSL://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=SASL_SSL://127.0.0.1:$port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASSWORD" user_admin="$ADMIN_PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$secure/broker.p12
ssl.keystore.password=$KEYSTORE_PASSWORD
ssl.truststore.type=PEM
ssl.truststore.location=$secure/ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
EOF
    fi
  )
}

format_node() {
  local n="$1" state cluster_id user args=()
  state="$(state_of "$n")"
  [[ -f "$state/data/meta.properties" ]] && return 0
  if [[ ! -s "$cluster_dir/cluster.id" ]]; then
    kafka_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$cluster_dir/cluster.id"
  fi
  cluster_id="$(cat "$cluster_dir/cluster.id")"
  if [[ -n "$secure" ]]; then
    args+=(--add-scram "SCRAM-SHA-512=[name=admin,password=$ADMIN_PASSWORD]")
    for user in ${SCRAM_USERS:-}; do
      args+=(--add-scram "SCRAM-SHA-512=[name=${user%%:*},password=${user#*:}]")
    done
  fi
  log "formatting node $n in $state/data (cluster id $cluster_id)"
  format_storage "$state/server.properties" "$state/logs" -t "$cluster_id" "${args[@]}"
}

node_ready() {
  local n="$1"
  pid_alive "$(pid_file_of "$n")" >/dev/null && port_open "$(port_of "$n")" \
    && grep -q "Kafka Server started" "$(log_file_of "$n")" 2>/dev/null \
    && metadata_ok "$(port_of "$n")" "${secure:+$admin_props}"
}

start_nodes() {
  local t0 n deadline now waiting=()
  t0=$(date +%s%3N)
  command -v "$java" >/dev/null || { log "java not found"; return 1; }
  classpath >/dev/null
  write_admin_props
  for n in "$@"; do
    if pid_alive "$(pid_file_of "$n")" >/dev/null; then
      waiting+=("$n")
      continue
    fi
    if port_open "$(port_of "$n")"; then
      log "something not started from $cluster_dir listens on 127.0.0.1:$(port_of "$n"); set CLUSTER_PORT"
      return 1
    fi
    write_props "$n"
    format_node "$n"
    # The log of this start only: readiness is read from it.
    [[ -f "$(log_file_of "$n")" ]] && mv "$(log_file_of "$n")" "$(log_file_of "$n").prev"
    launch_node "$(state_of "$n")/server.properties" "$(state_of "$n")/logs" \
      "$(pid_file_of "$n")" "$heap"
    log "node $n started, pid $(cat "$(pid_file_of "$n")"), 127.0.0.1:$(port_of "$n"); log: $(log_file_of "$n")"
    waiting+=("$n")
  done
  deadline=$(($(date +%s) + timeout_s))
  while ((${#waiting[@]})); do
    local still=()
    for n in "${waiting[@]}"; do
      if ! pid_alive "$(pid_file_of "$n")" >/dev/null; then
        log "node $n exited during start-up; last log lines:"
        tail -n 30 "$(state_of "$n")/logs/stdout.log" "$(log_file_of "$n")" >&2 2>/dev/null || true
        return 1
      fi
      node_ready "$n" || still+=("$n")
    done
    waiting=("${still[@]+"${still[@]}"}")
    ((${#waiting[@]})) || break
    if (($(date +%s) > deadline)); then
      log "node(s) ${waiting[*]} not ready after ${timeout_s}s; see their server.log"
      return 1
    fi
    sleep 0.3
  done
  now=$(date +%s%3N)
  log "ready: node(s) $* in $(((now - t0) / 1000)).$(((now - t0) % 1000 / 100)) s; bootstrap $(bootstrap)"
}

stop_nodes() {
  local n pids=()
  for n in "$@"; do
    if pid_alive "$(pid_file_of "$n")" >/dev/null; then
      stop_pid "$(pid_file_of "$n")" &
      pids+=($!)
    else
      rm -f "$(pid_file_of "$n")"
    fi
  done
  # Together: one by one, the last nodes would wait for a quorum that has already gone.
  for n in "${pids[@]+"${pids[@]}"}"; do wait "$n" || true; done
  log "stopped node(s) $*"
}

kill_node() {
  local n="$1" pid
  if pid="$(pid_alive "$(pid_file_of "$n")")"; then
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    log "node $n (pid $pid) killed"
  else
    log "node $n not running"
  fi
}

cmd_status() {
  local n pid all=0
  for n in "${nodes[@]}"; do
    if pid="$(pid_alive "$(pid_file_of "$n")")" && port_open "$(port_of "$n")"; then
      echo "node $n: running (pid $pid) on 127.0.0.1:$(port_of "$n"); log: $(log_file_of "$n")"
    else
      echo "node $n: not running (127.0.0.1:$(port_of "$n"))"
      all=1
    fi
  done
  return "$all"
}

cmd_leader() {
  local n out
  write_admin_props
  for n in "${nodes[@]}"; do
    port_open "$(port_of "$n")" || continue
    # shellcheck disable=SC2046 # no properties file: no option at all.
    if out="$(kafka_tool org.apache.kafka.tools.MetadataQuorumCommand \
      --bootstrap-server "127.0.0.1:$(port_of "$n")" \
      $([[ -n "$secure" ]] && echo --command-config "$admin_props") describe --status 2>/dev/null)"; then
      awk -F': *' '$1 == "LeaderId" {print $2}' <<<"$out"
      return 0
    fi
  done
  log "no node answered"
  return 1
}

cmd_acls() {
  write_admin_props
  # shellcheck disable=SC2046 # no properties file: no option at all.
  kafka_tool org.apache.kafka.tools.AclCommand --bootstrap-server "127.0.0.1:$(port_of 1)" \
    $([[ -n "$secure" ]] && echo --command-config "$admin_props") "$@"
}

node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || { echo "usage: $0 $2 1|2|3" >&2; exit 2; }
}

case "${1:-}" in
  start) if [[ -n "${2:-}" ]]; then node_arg "$2" start; start_nodes "$2"; else start_nodes "${nodes[@]}"; fi ;;
  stop) if [[ -n "${2:-}" ]]; then node_arg "$2" stop; stop_nodes "$2"; else stop_nodes "${nodes[@]}"; fi ;;
  kill) node_arg "${2:-}" kill; kill_node "$2" ;;
  status) cmd_status ;;
  leader) cmd_leader ;;
  bootstrap) bootstrap ;;
  acls) shift; cmd_acls "$@" ;;
  logs) node_arg "${2:-}" logs; exec tail -F "$(log_file_of "$2")" ;;
  *) echo "usage: $0 start|stop [N] | kill N | status | leader | bootstrap | acls ARGS | logs N" >&2; exit 2 ;;
esac
