#!/usr/bin/env bash
# Local Prometheus from Debian's `prometheus` package, run with the project's config.
#
#   deploy/prometheus/prometheus.sh install   # apt-get install prometheus if missing
#   deploy/prometheus/prometheus.sh start     # idempotent; waits until /-/ready
#   deploy/prometheus/prometheus.sh stop|status
#   deploy/prometheus/prometheus.sh check     # promtool: config, rules, rule unit tests
#
# Settings (environment): PROMETHEUS_PORT (9090), PROMETHEUS_CONFIG
# (deploy/prometheus/prometheus.yml), NEWSFLOW_LOCAL_DIR (.local).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${PROMETHEUS_PORT:-9090}"
config="${PROMETHEUS_CONFIG:-$here/prometheus.yml}"
state="${NEWSFLOW_LOCAL_DIR:-$root/.local}/prometheus-$port"
pid_file="$state/prometheus.pid"
log_file="$state/prometheus.log"

log() { printf 'prometheus.sh: %s\n' "$*" >&2; }

cmd_install() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    return 0
  fi
  log "installing Debian's prometheus package"
  local sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # The package's service is not wanted (no init system here; we run our own instance).
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  command -v prometheus >/dev/null && command -v promtool >/dev/null
}

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

ready() { curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; }

cmd_start() {
  local pid t0
  t0=$(date +%s)
  cmd_install
  if pid="$(running_pid)" && ready; then
    log "already running (pid $pid) on http://127.0.0.1:$port"
    return 0
  fi
  mkdir -p "$state/data"
  nohup prometheus --config.file="$config" --storage.tsdb.path="$state/data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-lifecycle \
    --storage.tsdb.retention.time=2d >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  for _ in $(seq 1 150); do
    if ready; then
      log "ready on http://127.0.0.1:$port in $(($(date +%s) - t0)) s; log: $log_file"
      return 0
    fi
    running_pid >/dev/null || { log "exited; see $log_file"; tail -n 20 "$log_file" >&2; return 1; }
    sleep 0.2
  done
  log "not ready after 30 s; see $log_file"
  return 1
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pid_file"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
  log "stopped"
}

cmd_check() {
  cmd_install
  promtool check config "$here/prometheus.yml"
  promtool check config "$here/prometheus.compose.yml"
  promtool check rules "$here/rules.yml"
  (cd "$here" && promtool test rules rules.test.yml)
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if pid="$(running_pid)" && ready; then echo "running (pid $pid) on http://127.0.0.1:$port"; else echo "not running"; exit 1; fi ;;
  check) cmd_check ;;
  *) echo "usage: $0 install|start|stop|status|check" >&2; exit 2 ;;
esac
