# Shared facts and helpers of the Grid Engine testbed, sourced by its start, stop and status.
#
# One login node (this host, running sge_qmaster) and one execution host, gecn01: sge_execd in a
# network namespace of its own, with its own host name (a UTS namespace) and its own /etc/hosts
# (a mount namespace). It sits beside the SLURM testbed on the same machine and shares nothing
# with it but the login node's ib0 address:
#
#   - its own veth pair: the node's end is named ib0 inside hpctui-ge-node, the host's end is
#     named ibge (the host already has SLURM's ib0; two links can't share a name);
#   - the node's address 10.213.7.3 is in the SLURM testbed's /24, and the host's end carries no
#     address, only a /32 route to the node: the node reaches the login node at 10.213.7.1, which
#     is the address of the host's ib0. So on both testbeds workers reach the scheduler only when
#     it listens on ib0, and the fix is the same `interface: ib0`, as on a real cluster whose
#     nodes all reach one login address. When the SLURM testbed is down, start makes a dummy link
#     named ib0 holding 10.213.7.1/24 (SLURM's start replaces it with its veth; nothing breaks);
#   - its own nftables table (inet hpctui_testbed_ge) drops what the node sends to any host
#     address but 10.213.7.1;
#   - Grid Engine's ports (6444 qmaster, 6445 execd, from /etc/services) differ from SLURM's
#     6817/6818, and its state lives in its own directory.
#
# Grid Engine resolves every peer's address to a name and compares it with the name the peer
# claims, so qmaster and execd each run in a mount namespace whose /etc/hosts knows gecn01;
# the machine's own /etc/hosts is never edited. host_aliases makes `localhost` (what 127.0.0.1
# resolves to) and this host's name one host for qmaster.

HOST_IB0=10.213.7.1
COMPUTE_IB0=10.213.7.3
IB0_PREFIX=24
NETNS=hpctui-ge-node
NODE=gecn01
QUEUE=all.q
PE=smp
NODE_SLOTS=16
STATE_DIR=${HPCTUI_GE_TESTBED_STATE_DIR:-/var/lib/hpctui-testbed-ge}
NFT_FAMILY=inet
NFT_NAME=hpctui_testbed_ge
NFT_TABLE="$NFT_FAMILY $NFT_NAME"
# The host's end of the pair, and the node's end before it is renamed ib0 inside the namespace.
VETH_HOST=ibge
VETH_NODE_TMP=hpcge-n

# Debian's gridengine: the wrappers in /usr/bin read /etc/default/gridengine (SGE_ROOT, SGE_CELL).
SGE_ROOT=/var/lib/gridengine
SGE_CELL=default
SGE_COMMON=$SGE_ROOT/$SGE_CELL/common
SGE_SPOOL=/var/spool/gridengine
QMASTER_SPOOL=$SGE_SPOOL/qmaster
EXECD_SPOOL=$SGE_SPOOL/execd
SPOOLDB=$SGE_SPOOL/spooldb
# The daemons write their own pid files here; ours copy them into STATE_DIR once started, so
# stop and status only ever act on daemons this testbed started.
QMASTER_PID=$STATE_DIR/qmaster.pid
EXECD_PID=$STATE_DIR/execd.pid
HOSTS_LOGIN=$STATE_DIR/hosts.login
HOSTS_NODE=$STATE_DIR/hosts.node
# Present when start made the dummy ib0 (SLURM's testbed was down): stop removes only that one.
DUMMY_MARK=$STATE_DIR/made-dummy-ib0
ALIASES_MARK=$STATE_DIR/wrote-host-aliases
# A policy-rc.d that start adds for the install only, when the machine has none.
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_MARKER="# hpctui gridengine testbed: no daemon starts during its install"

TESTBED_NAME="gridengine testbed"
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# The login node's name as Grid Engine's daemons and clients see it.
master_name() {
    hostname
}

# The host's ib0 holds the login address the node reaches (SLURM's veth or our dummy).
login_ib0_ok() {
    ip -4 -o addr show dev ib0 2>/dev/null | grep -q " $HOST_IB0/"
}

# all.q@gecn01's state letters from `qstat -f` ("" when healthy; u unknown, a alarm, d disabled,
# E error...), or "missing" when qstat does not list it.
queue_state() {
    timeout 10 qstat -f -q "$QUEUE@$NODE" 2>/dev/null | awk -v q="$QUEUE@$NODE" '
        $1 == q { found = 1; print (NF >= 6 ? $6 : ""); exit }
        END { if (!found) print "missing" }'
}

print_facts() {
    echo "KIND=sge"
    echo "HOST_IB0=$HOST_IB0"
    echo "COMPUTE_IB0=$COMPUTE_IB0"
    echo "DEFAULT_ADDR=$(default_addr)"
    echo "NODE=$NODE"
    echo "PARTITION=$QUEUE"
    echo "PE=$PE"
    echo "NETNS=$NETNS"
    echo "STATE_DIR=$STATE_DIR"
    echo "NFT_TABLE=$NFT_TABLE"
}
