# shellcheck shell=bash
# Helpers sourced by the .ci scripts: logging, per-phase timings, waiting for services.
#
# Phases are timed with an EXIT trap instead of wrapping commands in `cmd || rc=$?`:
# bash ignores `set -e` inside anything run from an `||` list, which would let a
# failing phase carry on.

ci_log() { printf '==> %s\n' "$*" >&2; }
ci_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }

CI_PHASE=""
CI_PHASE_START=0
CI_SCRIPT_START=$(now_ms)

# `phase NAME` ends the previous phase (printing its time) and starts NAME.
phase() {
  phase_done
  CI_PHASE=$1
  CI_PHASE_START=$(now_ms)
  ci_log "[$CI_PHASE] start"
}

phase_done() {
  if [[ -n $CI_PHASE ]]; then
    ci_log "[$CI_PHASE] ok in $(since "$CI_PHASE_START")"
    CI_PHASE=""
  fi
}

_ci_on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ -n $CI_PHASE ]]; then
    ci_log "[$CI_PHASE] FAILED (exit $rc) after $(since "$CI_PHASE_START")"
  fi
  ci_log "$(basename "$0") finished in $(since "$CI_SCRIPT_START") (exit $rc)"
}
trap _ci_on_exit EXIT

# Run a command as root: directly when we are root (CI), else through sudo.
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    ci_die "need root for: $*"
  fi
}

# `wait_for SECONDS cmd...`: poll every 0.5 s until cmd succeeds or SECONDS have passed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
