#!/usr/bin/env bash
# The system of record's cost and speed, on this machine, in one run:
#   1. write rate: `leadgate records bench` into a scratch PostgreSQL database (a temporary server,
#      fsync on, as shipped) and into an SQLite file: decisions/s through the recorder, and the
#      journal's replay rate; the peer is PostgreSQL's own COPY of the same rows (psql \copy), the
#      ceiling of any client;
#   2. recording on vs off: Benchmarks/load/compare.sh with the same binary, LEADGATE_RECORDS_URL=off
#      against the SQLite file, then against the PostgreSQL database.
#
# Usage: Benchmarks/load/records.sh [--count N] [--rounds N] [--skip-compare]
#   --count N       decisions per write phase (default 200000)
#   --rounds N      compare.sh rounds (default 3)
#   --skip-compare  only the write rates
# Needs a release build (.build-release/release/leadgate; built when missing) and Debian's
# postgresql package (scripts/install-deps.sh). As root, PostgreSQL runs as the postgres user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=200000
rounds=3
compare=1
while (($#)); do
    case "$1" in
    --count) count=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --skip-compare) compare=0 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "records.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
say() { printf '== %s\n' "$*" >&2; }
bin=$root/.build-release/release/leadgate
if [ ! -x "$bin" ]; then
    say "building LeadGate (release)"
    (cd "$root" && swift build -c release --build-path .build-release >&2)
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "records.sh: no PostgreSQL (apt-get install postgresql)" >&2; exit 1; }

work=$(mktemp -d /tmp/leadgate-records-bench.XXXXXX)
chmod 755 "$work"
pg_pid=""
cleanup() {
    if [ -n "$pg_pid" ]; then kill "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
    rm -rf "$work/pg"
}
trap cleanup EXIT
as_pg=()
if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    as_pg=(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups)
fi
mkdir -p "$work/pg"
[ ${#as_pg[@]} -eq 0 ] || chown "$(id -u "$user"):$(id -g "$user")" "$work/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync on), in $work/pg"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U leadgate --auth=trust -E UTF8 --locale=C >/dev/null
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nshared_buffers = 256MB\n" "$port" "$work/pg" \
    >>"$work/pg/data/postgresql.auto.conf"
"${as_pg[@]}" "$pgbin/postgres" -D "$work/pg/data" >"$work/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 200); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.05; done
"$pgbin/createdb" -h 127.0.0.1 -p "$port" -U leadgate bench
pg_url="postgres://leadgate@127.0.0.1:$port/bench?sslmode=disable"
psql() { "$pgbin/psql" -h 127.0.0.1 -p "$port" -U leadgate -d bench -At -v ON_ERROR_STOP=1 "$@"; }

say "write rate into PostgreSQL: $count decisions through the recorder, then the journal replayed"
${BENCH_WRAP:-} "$bin" records bench --records "$pg_url" --count "$count" ${BENCH_CONFIG:+--config "$BENCH_CONFIG"} 2>&1 >"$work/pg-bench.json" | grep -v '^\[' >&2 || true
say "peer: PostgreSQL's COPY of the same $((2 * count)) decision rows (one psql \\copy, one transaction)"
psql -c "\\copy decisions TO '$work/decisions.copy'"
psql -c "CREATE TABLE decisions_copy (LIKE decisions INCLUDING ALL)"
start=$EPOCHREALTIME
psql -c "\\copy decisions_copy FROM '$work/decisions.copy'" >/dev/null
copy_s=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
rows=$(psql -c "SELECT count(*) FROM decisions_copy")
echo "{\"rows\":$rows,\"seconds\":$copy_s,\"per_s\":$(awk -v r="$rows" -v s="$copy_s" 'BEGIN{printf "%d", r/s}')}" >"$work/pg-copy.json"
say "write rate into SQLite"
"$bin" records bench --records "$work/bench.sqlite" --count "$count" 2>&1 >"$work/sqlite-bench.json" | grep -v '^\[' >&2 || true

python3 - "$work" <<'EOF'
import json, sys
w = sys.argv[1]
pg = json.load(open(f"{w}/pg-bench.json")); copy = json.load(open(f"{w}/pg-copy.json")); lite = json.load(open(f"{w}/sqlite-bench.json"))
print("| write path | decisions/s | vs PostgreSQL COPY |\n|---|---:|---:|")
print(f"| PostgreSQL COPY of the same rows into a copy of the table, indexes included (peer; decisions only, no lead_scores rows) | {copy['per_s']:,} | 1.00× |")
print(f"| recorder → PostgreSQL (COPY into decisions and lead_scores, batches of 1,000) | {pg['insert_per_s']:,} | {pg['insert_per_s']/copy['per_s']:.2f}× |")
print(f"| journal replay → PostgreSQL | {pg['replay_per_s']:,} | {pg['replay_per_s']/copy['per_s']:.2f}× |")
print(f"| recorder → SQLite file | {lite['insert_per_s']:,} | |")
print(f"| journal replay → SQLite file | {lite['replay_per_s']:,} | |")
EOF

if ((compare)); then
    psql -c "TRUNCATE decisions, lead_scores" >/dev/null
    say "recording off vs the SQLite file: POST /v1/leads/score, same binary"
    "$here/compare.sh" --before "$bin" --after "$bin" --rounds "$rounds" \
        --before-env "LEADGATE_RECORDS_URL=off" --after-env "LEADGATE_RECORDS_URL=$work/serve.sqlite" >"$work/compare-sqlite.md"
    echo; echo "records off (before) vs SQLite (after):"; cat "$work/compare-sqlite.md"
    say "recording off vs PostgreSQL"
    "$here/compare.sh" --before "$bin" --after "$bin" --rounds "$rounds" \
        --before-env "LEADGATE_RECORDS_URL=off" --after-env "LEADGATE_RECORDS_URL=$pg_url" >"$work/compare-pg.md"
    echo; echo "records off (before) vs PostgreSQL (after):"; cat "$work/compare-pg.md"
    echo; echo "decisions the PostgreSQL side recorded: $(psql -c 'SELECT count(*) FROM decisions')"
fi
say "raw results in $work"
