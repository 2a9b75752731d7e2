# Helpers shared by both testbeds' lib.sh (SLURM: tests/testbed/lib.sh; Grid Engine:
# tests/testbed/gridengine/lib.sh). Each sets TESTBED_NAME before sourcing this, for messages.

die() {
    echo "${TESTBED_NAME:-testbed}: $*" >&2
    exit 1
}

require_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces and starts daemons)"
}

# The host's default-route IPv4 address: routable from the node but silently dropped by the table.
# Read from the routing table only (no probe packet is sent anywhere).
default_addr() {
    local dev src
    dev=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
    src=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}')
    if [ -n "$src" ]; then
        echo "$src"
    elif [ -n "$dev" ]; then
        ip -4 -o addr show dev "$dev" scope global 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'
    fi
}

# True when the pid file names a live process whose command is $2 (guards against reused pids).
pid_alive() {
    local pidfile=$1 comm=$2 pid
    [ -s "$pidfile" ] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [ -n "$pid" ] || return 1
    [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ]
}

pid_of() {
    tr -dc '0-9' <"$1"
}
