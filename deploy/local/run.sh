#!/usr/bin/env bash
# `make run`: broker, topics, worker, the sample articles, then the alerts as they arrive.
# Ctrl-C stops the worker cleanly; the broker keeps running (`make kafka-stop` stops it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"
state="${NEWSFLOW_LOCAL_DIR:-$root/.local}"
mkdir -p "$state"
worker_log="$state/worker.log"

deploy/local/kafka.sh start
deploy/prometheus/prometheus.sh start
"$bin/newsflow" topics create

# The worker's table state (RocksDB) belongs to one broker's changelog topics. If the
# local broker's data was reset, that state is ahead of the new, empty changelogs and
# faust refuses to start (ConsistencyError): set it aside instead.
cluster_id="$(sed -n 's/^cluster.id=//p' "$state/kafka-${KAFKA_PORT:-9092}/data/meta.properties" 2>/dev/null || true)"
worker_state="${NEWSFLOW_DATA_DIR:-$state/worker}"
if [[ -n "$cluster_id" && -d "$worker_state" && "$(cat "$worker_state/.cluster-id" 2>/dev/null)" != "$cluster_id" ]]; then
  echo "run.sh: $worker_state was made against another broker (its data was reset); moved to $worker_state.stale"
  rm -rf "$worker_state.stale"
  mv "$worker_state" "$worker_state.stale"
fi
mkdir -p "$worker_state"
[[ -n "$cluster_id" ]] && echo "$cluster_id" >"$worker_state/.cluster-id"

[[ -f "$worker_log" ]] && mv -f "$worker_log" "$worker_log.1"
echo "run.sh: starting the worker; its log: $worker_log"
"$bin/newsflow" worker >>"$worker_log" 2>&1 &
worker_pid=$!
tail_pid=""

stop() {
  trap - EXIT INT TERM
  [[ -n "$tail_pid" ]] && kill -TERM "$tail_pid" 2>/dev/null || true
  if kill -0 "$worker_pid" 2>/dev/null; then
    echo "run.sh: stopping the worker (pid $worker_pid)"
    kill -TERM "$worker_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$worker_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$worker_pid" 2>/dev/null || true
  fi
  echo "run.sh: worker stopped; the broker and Prometheus are still up (make clean stops both)"
}
trap stop EXIT INT TERM

# Ready when faust has joined the group and started its agents.
for _ in $(seq 1 300); do
  grep -q "Worker ready" "$worker_log" 2>/dev/null && break
  kill -0 "$worker_pid" 2>/dev/null || { echo "run.sh: the worker exited; see $worker_log"; exit 1; }
  sleep 0.2
done

cat <<EOT
run.sh: the pipeline is up.
  metrics     http://127.0.0.1:${NEWSFLOW_METRICS_PORT:-9108}/metrics
  prometheus  http://127.0.0.1:${PROMETHEUS_PORT:-9090}  (try: sum by (stage) (rate(newsflow_messages_total[1m])))
  grafana     with Docker: docker compose up -d prometheus grafana, then http://localhost:3000
              (admin / newsflow), dashboard "newsflow pipeline"; or import
              deploy/grafana/dashboards/newsflow.json into any Grafana that reads this Prometheus
  logs        $worker_log, .local/kafka-9092/logs/server.log
  publish     .venv/bin/newsflow publish FILE_OR_DIR
EOT
echo "run.sh: alerts on news.alerts.sanctions (Ctrl-C to stop):"
"$bin/newsflow" tail &
tail_pid=$!
sleep 2  # let the tail consumer take its partitions before anything is published
"$bin/newsflow" publish seeds/articles
wait "$tail_pid"
