# Shared facts and helpers of the SLURM testbed, sourced by start, stop and status.
#
# The testbed is one login node (this host) and one compute node (a network namespace) joined by a
# veth pair whose two ends are both named ib0. Everything it owns lives under STATE_DIR, has a pid
# file there, or carries the name hpctui so stop removes exactly what start made.

# The /24 is reserved for the testbed alone: no traffic ever goes to an address outside it (or loopback).
HOST_IB0=10.213.7.1
COMPUTE_IB0=10.213.7.2
IB0_PREFIX=24
NETNS=hpctui-node
NODE=cn01
PARTITION=debug
STATE_DIR=${HPCTUI_TESTBED_STATE_DIR:-/var/lib/hpctui-testbed}
NFT_FAMILY=inet
NFT_NAME=hpctui_testbed
NFT_TABLE="$NFT_FAMILY $NFT_NAME"
# Debian's slurm reads this path, and hpctui/dask-jobqueue call plain sbatch/squeue: it must be here.
SLURM_CONF_PATH=/etc/slurm/slurm.conf
SLURM_CONF_BACKUP=/etc/slurm/slurm.conf.hpctui-backup
# A marker line so the testbed never overwrites (or deletes) a slurm.conf it did not write.
CONF_MARKER="# written by hpctui tests/testbed/start"
# Temporary names of the veth ends: both are renamed to ib0 once they sit in different namespaces.
VETH_HOST_TMP=hpctb-h
VETH_NODE_TMP=hpctb-n
# The compute node advertises more CPUs than the machine has (SlurmdParameters=config_overrides):
# many small dask workers, each asking for one core, can then run side by side.
NODE_CPUS=16
NODE_MEMORY_MB=16000
# Seconds a finished job stays visible in squeue, so tests and captures can see it.
MIN_JOB_AGE=30

MUNGE_DIR=$STATE_DIR/munge
MUNGE_PID=$MUNGE_DIR/munged.pid
MUNGE_SOCKET=/run/munge/munge.socket.2
SLURMCTLD_PID=$STATE_DIR/slurmctld.pid
SLURMD_PID=$STATE_DIR/slurmd.pid
SLURMCTLD_LOG=$STATE_DIR/log/slurmctld.log
SLURMD_LOG=$STATE_DIR/log/slurmd.log
MUNGE_LOG=$MUNGE_DIR/munged.log

TESTBED_NAME="testbed"
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The node's state as sinfo prints it (%t: idle, mix, alloc, drain, down*, ...), empty if unknown.
node_state() {
    timeout 10 sinfo --noheader --nodes="$NODE" --format=%t 2>/dev/null | head -n 1 | tr -d ' '
}

print_facts() {
    echo "HOST_IB0=$HOST_IB0"
    echo "COMPUTE_IB0=$COMPUTE_IB0"
    echo "DEFAULT_ADDR=$(default_addr)"
    echo "NODE=$NODE"
    echo "PARTITION=$PARTITION"
    echo "NETNS=$NETNS"
    echo "STATE_DIR=$STATE_DIR"
    echo "NFT_TABLE=$NFT_TABLE"
}
