#!/usr/bin/env bash
# warroom plugin (contract 1): `uptime [host...]`, the uptime of each host (default: the hosts in
# UPTIME_HOSTS). `localhost` is asked directly, the others over ssh (UPTIME_SSH, default
# `ssh -o BatchMode=yes -o ConnectTimeout=3`). Needs only bash and coreutils.
set -u

if [ "${1:-}" = describe ]; then
  cat <<'JSON'
{"name": "hosts", "contract": 1,
 "commands": [{"words": ["uptime"], "usage": "uptime [host...]",
               "help": "How long each host has been up, and its load.", "where": "both"}],
 "events": []}
JSON
  exit 0
fi

json_string() {  # $1 as a JSON string
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/}
  s=${s//$'\n'/\\n}
  printf '"%s"' "$s"
}

doc=$(cat)
case $doc in *'"dry_run": true'*) exit 0 ;; esac
# The typed text is a JSON string of host names; anything else is refused below.
text=$(printf '%s' "$doc" | sed -n 's/.*"text": "\([^"\\]*\)".*/\1/p')
hosts=${text:-${UPTIME_HOSTS:-}}
if [ -z "$hosts" ]; then
  echo '{"type": "error", "text": "Which hosts? `uptime web1 web2`, or set UPTIME_HOSTS."}'
  exit 0
fi
report=""
for host in $hosts; do
  if ! [[ $host =~ ^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$ ]]; then
    echo "{\"type\": \"error\", \"text\": $(json_string "$host is not a host name.")}"
    exit 0
  fi
done
for host in $hosts; do
  if [ "$host" = localhost ]; then
    out=$(uptime 2>&1)
  else
    # shellcheck disable=SC2086  # UPTIME_SSH is a command with its options
    out=$(${UPTIME_SSH:-ssh -o BatchMode=yes -o ConnectTimeout=3} "$host" uptime 2>&1) \
      || out="unreachable: ${out:-no answer}"
  fi
  report+="${host}: $(printf '%s' "$out" | head -n 1 | sed 's/^ *//')"$'\n'
done
echo "{\"type\": \"message\", \"text\": $(json_string "${report%$'\n'}")}"
