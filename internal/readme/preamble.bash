# Read by bash (BASH_ENV) before the README's walkthrough, which TestREADME
# runs as a script whose line N is README.md's line N.
set -euo pipefail
__state=$(mktemp -d)
trap 'echo "README.md:$LINENO: exit status $?" >&2' ERR
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$__state"' EXIT

# A block opens: say where. TestREADME writes it in place of the fence.
__block() {
  echo "== README.md:$1"
}

# A block closes: a "# expect:" line must have been used by a curl.
__end_block() {
  if [ -e "$__state/expect" ]; then
    echo "README.md:${BASH_LINENO[0]}: \"# expect: $(cat "$__state/expect")\" before no curl" >&2
    return 1
  fi
}

# "# expect: 403" (or 4xx): the next curl must answer that. It is kept in a
# file, since that curl may run in a subshell ($(...), a pipeline).
__expect() {
  echo "$1" > "$__state/expect"
}

# curl, but any answer other than a 2xx, or than the one announced, fails.
curl() {
  local want=2xx headers status rc=0
  if [ -e "$__state/expect" ]; then
    want=$(cat "$__state/expect")
    rm "$__state/expect"
  fi
  headers=$(mktemp -p "$__state")
  command curl -D "$headers" "$@" || rc=$?
  status=$(awk '/^HTTP\// { s = $2 } END { print s }' "$headers")
  rm -f "$headers"
  if [[ ! $status =~ ^${want//x/[0-9]}$ ]]; then
    echo "README.md:${BASH_LINENO[0]}: the answer was ${status:-none}, not the $want the text announces" >&2
    return 1
  fi
  return "$rc"
}
