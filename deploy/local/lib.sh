# Shared by deploy/local/kafka.sh (one broker) and deploy/local/cluster.sh (three nodes):
# the Kafka class path from Maven, a node's process (pid file, start, stop), readiness.
# Sourced, not run. The caller sets: here (this directory), root (the project),
# local_dir (where the class path file lives), java, and the function log.

cp_file="$local_dir/kafka-classpath.txt"

# The Kafka jars' class path, resolved by Maven from deploy/local/pom.xml (first run only).
classpath() {
  if [[ ! -s "$cp_file" || "$here/pom.xml" -nt "$cp_file" ]]; then
    log "resolving the Kafka jars with Maven (first run only)"
    mkdir -p "$local_dir"
    mvn -q -B -f "$here/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
  fi
  cat "$cp_file"
}

# The pid in pid file $1 when that process is alive.
pid_alive() {
  local pid_file="$1" pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A Kafka tool's main class ($1) with the broker's class path and quiet logging.
kafka_tool() {
  local main="$1"
  shift
  "$java" -cp "$(classpath)" -Dlog4j2.configurationFile="$here/log4j2.yaml" \
    -Dkafka.logs.dir="${TMPDIR:-/tmp}" "$main" "$@"
}

# Format the storage of properties file $1 (log dir $2) once; the rest of the arguments go
# to the storage tool (cluster id, --standalone, --add-scram ...).
format_storage() {
  local props="$1" log_dir="$2"
  shift 2
  "$java" -cp "$(classpath)" -Dlog4j2.configurationFile="$here/log4j2.yaml" \
    -Dkafka.logs.dir="$log_dir" \
    kafka.tools.StorageTool format -c "$props" "$@" >>"$log_dir/format.log" 2>&1
}

# Start kafka.Kafka with properties file $1, logging under $2, pid into $3; heap flags $4.
launch_node() {
  local props="$1" log_dir="$2" pid_file="$3" heap="$4"
  # shellcheck disable=SC2086 # the heap flags are several JVM options on purpose.
  nohup "$java" $heap -XX:+UseG1GC \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$log_dir" \
    -cp "$(classpath)" kafka.Kafka "$props" >>"$log_dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
}

# SIGTERM the process of pid file $1 and wait for it (30 s, then SIGKILL).
stop_pid() {
  local pid_file="$1" pid i
  if ! pid="$(pid_alive "$pid_file")"; then
    rm -f "$pid_file"
    return 1
  fi
  kill -TERM "$pid"
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; return 0; }
    sleep 0.1
  done
  log "pid $pid still running after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

# A metadata round trip with a real client to 127.0.0.1:$1: the Python one when the venv
# has it, else the JVM tool. With $2 (a client properties file for the JVM tool) the
# listener is secured: the Python check then takes the NEWSFLOW_KAFKA_* security variables
# from the environment, as the worker does.
metadata_ok() {
  local port="$1" client_props="${2:-}" py="$root/.venv/bin/python"
  if [[ -x "$py" ]] && "$py" -c "import aiokafka" 2>/dev/null; then
    "$py" - "$port" "${client_props:+secured}" <<'EOF' >/dev/null 2>&1
import asyncio, sys
from aiokafka.admin import AIOKafkaAdminClient
async def main() -> None:
    security = {}
    if sys.argv[2]:
        from pipeline.security import aiokafka_security
        from pipeline.settings import Settings
        security = aiokafka_security(Settings.from_env())
    admin = AIOKafkaAdminClient(
        bootstrap_servers=f"127.0.0.1:{sys.argv[1]}", request_timeout_ms=3000, **security
    )
    await admin.start()
    try:
        await admin.describe_cluster()
    finally:
        await admin.close()
asyncio.run(main())
EOF
  else
    # shellcheck disable=SC2086 # no properties file: no option at all.
    kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$port" \
      ${client_props:+--command-config "$client_props"} >/dev/null 2>&1
  fi
}
