# Shared by the load scripts (sourced, not run). Before sourcing, a script sets `bench` (the name of
# its work folder) and may set `duration` (default 10) and `options` (its own options that take a
# value, e.g. `options=(--only)`; their values land in the associative array `option`).
# It reads --no-build and --duration, installs wrk (and Redis when missing), builds the release
# binary, and defines: root, here, bin, work, peer_dir, venv, client (wrk's nice level), pids with a
# cleanup on exit, port (a free port) and wait_http URL.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
build=1
duration=${duration:-10}
declare -A option=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --duration) duration=$2; shift ;;
    *)
      if [[ " ${options[*]:-} " == *" $1 "* ]] && [ $# -ge 2 ]; then
        option[$1]=$2
        shift
      else
        echo "unknown argument: $1" >&2
        exit 2
      fi ;;
  esac
  shift
done
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || scripts/install-deps.sh
if [ "$build" = 1 ]; then swift build -c release --scratch-path .build-release --product leadgate >&2; fi
bin=$root/.build-release/release/leadgate
peer_dir=${PEER_DIR:-$root/../shared/peers/fastapi-xgboost}
venv=${VENV:-/tmp/peer-fastapi-venv}
work=$(mktemp -d "/tmp/leadgate-$bench.XXXXXX")
# wrk at a higher priority when allowed, so its own scheduling delays are not counted as ours.
client=""
if [ "$(id -u)" -eq 0 ]; then client="nice -n -15"; fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
# start_redis PORT: a redis-server with no persistence.
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning --dir "$work" >/dev/null & pids+=($!)
}
# start_gateway PORT CONFIG LOG REDIS_PORT LLM_PORT: a release `leadgate serve` on that Redis and LLM.
start_gateway() {
  LEADGATE_REDIS_URL="redis://127.0.0.1:$4/0" LEADGATE_LLM_BASE_URL="http://127.0.0.1:$5/v1" "$bin" serve --config "$2" \
    --port "$1" --models "$root/config/models" 2>"$3" & pids+=($!)
}
# start_peer PORT REDIS_PORT LLM_PORT: the FastAPI + xgboost peer (Redis database 1) when present;
# sets peer=1 then.
peer=0
start_peer() {
  [ -d "$peer_dir" ] || return 0
  (cd "$peer_dir" && PEER_MODEL="$root/config/models/realestate/model.json" PEER_REDIS_URL="redis://127.0.0.1:$2/1" \
    PEER_LLM_URL="http://127.0.0.1:$3/v1" PORT=$1 VENV=$venv ./start.sh) >"$work/peer.log" 2>&1 & pids+=($!)
  peer=1
}
