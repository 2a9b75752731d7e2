"""Screenshot scenarios on the local backend (job scripts run under bash on this machine): the
main screen, the small terminal, and the failures that need no batch system to happen for real.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from shots import (GRID, Shot, has_finding, log_has, quit_app, settle, show_finding, wait,
                   worker_error_finding)


async def main_local(shot: Shot) -> None:
    """The main screen: 3 workers on the local backend, connecting live."""
    app = shot.app("local", shot.config("local", "dask-worker"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus", "plus", "plus")
        await wait(pilot, lambda: app.session.snapshot().connected_workers == 3, 60, "3 workers")
        # A notice from the start-up (a job still pending) holds the status line for 20 s;
        # then it shows the `ssh -L` command for the dashboard.
        status = app.query_one("#status-bar")
        await wait(pilot, lambda: not status.notice and status.tunnel_command, 60,
                   "the ssh -L command in the status bar")
        await settle(pilot)
        shot.save(app, "main-local")
        await quit_app(pilot, app)
    app.shutdown(60)


async def small_terminal(shot: Shot) -> None:
    """80x24: the panes as tabs (the job script pane)."""
    app = shot.app("local", shot.config("local", "dask-worker"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: app.pane("script") is not None, 30, "the config")
        await settle(pilot, 0.5)
        shot.save(app, "small-terminal")
        await quit_app(pilot, app)
    app.shutdown(60)


def bare_python(shot: Shot) -> str:
    """A real Python without dask: a fresh venv (no pip, no packages) in the temp folder."""
    venv = shot.tmp / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    return str(venv / "bin" / "python")


async def no_module_distributed(shot: Shot) -> None:
    """Failure mode 5: `python` names an environment without dask; the worker's own error in the
    logs and the finding that proposes hpctui's own interpreter."""
    await worker_error_finding(shot, f"    python: {bare_python(shot)}\n", "No module named",
                               "wrong-python", "no-module-distributed")


async def nprocs_unknown(shot: Shot) -> None:
    """Failure mode 7: `--nprocs 2` in `worker-extra-args`, an option this distributed no longer
    has; its command line refuses it ("No such option '--nprocs'") and the finding removes it
    from the profile."""
    await worker_error_finding(shot, "    worker-extra-args: ['--nprocs', '2']\n", "No such option",
                               "nprocs-nworkers", "nprocs-unknown")


async def no_cores_memory(shot: Shot) -> None:
    """Failure mode 22: no `cores` and `memory` anywhere (dask-jobqueue's SLURM defaults are
    empty); the job script pane shows dask-jobqueue's own message instead of a script. Nothing
    is submitted, so this needs no batch system."""
    app = shot.app("slurm", shot.config("slurm", shot.job_name(), resources=False))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.pane("script") is not None
                   and "You must specify" in script_text(app), 30,
                   "dask-jobqueue's message in the job script pane")
        app.show_pane("settings")
        await settle(pilot)
        shot.save(app, "no-cores-memory")
        await quit_app(pilot, app)
    app.shutdown(60)


def script_text(app) -> str:
    """Everything the job script pane's widgets render now."""
    pane = app.pane("script")
    return "\n".join(str(w.render()) for w in pane.query("Static"))


def hold_port(port: int) -> socket.socket | None:
    """Listen on 127.0.0.1:`port` like another user's dashboard would; None when something
    else already holds it (then it is taken all the same)."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    sock.listen()
    return sock


async def dashboard_and_tls(shot: Shot) -> None:
    """Failure modes 20 and 21: port 8787 is taken (held here, as another user's dashboard
    would), so distributed moves the dashboard; the status bar and the network pane show the
    port really bound and the `ssh -L` for it. The user's `scheduler-options: {host: 0.0.0.0}`
    (hpctui's local default is loopback): the scheduler listens on every interface without
    TLS, and the network pane says so."""
    held = hold_port(8787)
    try:
        config = shot.config("local", "dask-worker")
        config.write_text(config.read_text().replace(
            "scheduler-options: {dashboard_address: '127.0.0.1:8787'}",
            "scheduler-options: {host: 0.0.0.0, dashboard_address: '127.0.0.1:8787'}"))
        app = shot.app("local", config)
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            await wait(pilot, lambda: app.session.snapshot().connected_workers == 1, 60,
                       "a worker")
            status = app.query_one("#status-bar")
            await wait(pilot, lambda: status.dashboard and ":8787/" not in status.dashboard, 30,
                       "the dashboard on another port than 8787")
            await wait(pilot, lambda: "without TLS" in network_text(app), 30, "the TLS warning")
            app.show_pane("network")
            # A notice holds the status bar's second line for 20 s; then the `ssh -L` is back.
            await wait(pilot, lambda: not status.notice and status.tunnel_command, 60,
                       "the ssh -L command in the status bar")
            await settle(pilot)
            shot.save(app, "dashboard-and-tls")
            await quit_app(pilot, app)
        app.shutdown(60)
    finally:
        if held is not None:
            held.close()


def eat_memory(scheduler_address: str, megabytes: int) -> None:
    """A client's task that holds `megabytes` of memory on a worker for 20 s, as a real
    computation too big for its worker would (blocking: run it in a thread)."""
    from distributed import Client

    def hog(n: int) -> int:
        import time

        block = bytearray(n * 2**20)  # zero-filled: every page is touched
        time.sleep(20)
        return len(block)

    with Client(scheduler_address, timeout=30) as client:
        future = client.submit(hog, megabytes, pure=False)
        try:
            future.result(timeout=120)
        except Exception:  # noqa: BLE001 - KilledWorker is the expected ending
            pass


async def out_of_memory(shot: Shot) -> None:
    """Failure mode 12: a task needs more memory than the worker's `memory`; the nanny kills the
    worker at 95% of its budget ("exceeded 95% memory budget. Restarting...") and the finding
    proposes twice the memory."""
    import asyncio

    path = shot.config("local", "dask-worker", resources=False,
                       extra="    cores: 1\n    memory: 300MB\n")
    app = shot.app("local", path)
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: app.session.snapshot().connected_workers == 1, 60, "a worker")
        address = app.query_one("#status-bar").scheduler_address
        hog = asyncio.create_task(asyncio.to_thread(eat_memory, address, 600))
        await wait(pilot, lambda: log_has(app, "memory budget"), 90,
                   "the nanny's memory-budget line in the log")
        await wait(pilot, lambda: has_finding(app, "out-of-memory"), 30, "the memory finding")
        await show_finding(pilot, app, "out-of-memory")
        await settle(pilot)
        shot.save(app, "out-of-memory")
        await quit_app(pilot, app)
        hog.cancel()
    app.shutdown(60)


async def unknown_interface(shot: Shot) -> None:
    """Failure mode 2: `interface` names a network interface this machine doesn't have (the
    login node's name for it differs from the compute nodes'): what hpctui says, and the
    interfaces there are."""
    app = shot.app("local", shot.config("local", "dask-worker", "    interface: ib9\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: has_finding(app, "interface-missing-on-login"), 30,
                   "the missing-interface finding")
        app.show_pane("settings")
        settings = app.pane("settings")
        # The cursor down to the `interface` row, whose detail line says what is wrong.
        for _ in range(30):
            if settings.highlighted_key == "interface":
                break
            await pilot.press("down")
        await settle(pilot)
        shot.save(app, "unknown-interface")
        await quit_app(pilot, app)
    app.shutdown(60)


async def tls_one_side(shot: Shot) -> None:
    """Failure mode 21: the workers' Dask config requires encryption (set here in the job's
    prologue, as a site's config file would) and the scheduler speaks plain tcp://: the
    workers refuse it, and the finding proposes `security: true`."""
    app = shot.app("local", shot.config(
        "local", "dask-worker",
        "    job-script-prologue: ['export DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True',"
        " 'export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s']\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: log_has(app, "encryption required"), 60,
                   "the worker's refusal in the log")
        await wait(pilot, lambda: has_finding(app, "tls-one-side"), 30, "the TLS finding")
        # The refusal is above a long traceback: the logs pane's filter (`/`) shows it.
        app.show_pane("logs")
        await pilot.press("slash", *"encryption", "enter")
        await wait(pilot, lambda: any("encryption required" in line
                                      for line in app.pane("logs").shown_lines()), 10,
                   "the filtered log")
        await show_finding(pilot, app, "tls-one-side")
        await settle(pilot)
        shot.save(app, "tls-one-side")
        await quit_app(pilot, app)
    app.shutdown(60)


async def submit_command_missing(shot: Shot) -> None:
    """Failure mode 23: `--scheduler slurm` on a node where SLURM's commands are not on PATH
    (a compute node of a site that submits only from login nodes, or `module load slurm`
    forgotten): sbatch is not found, and the finding says where to run hpctui from."""
    # hpctui runs sbatch in its own process: this process's PATH, with no batch system on it
    # (this Python's bin folder only; /bin and /usr/bin would hold the testbed's sbatch).
    path_before = os.environ["PATH"]
    os.environ["PATH"] = str(shot.tmp / "no-slurm-bin") + os.pathsep + os.path.dirname(sys.executable)
    try:
        app = shot.app("slurm", shot.config("slurm", shot.job_name(), "    interface: lo\n"))
        async with app.run_test(size=GRID) as pilot:
            await wait(pilot, lambda: app.session is not None, 30, "the session")
            await pilot.press("plus")
            await wait(pilot, lambda: has_finding(app, "submit-command-missing"), 60,
                       "the submit-command finding")
            # The rejection view (the command's error) comes first; the finding is the point.
            while type(app.screen).__name__ == "RejectionScreen":
                await pilot.press("escape")
                await pilot.pause(0.2)
            await show_finding(pilot, app, "submit-command-missing")
            await settle(pilot)
            shot.save(app, "submit-command-missing")
            await quit_app(pilot, app)
        app.shutdown(60)
    finally:
        os.environ["PATH"] = path_before


async def slow_scratch(shot: Shot) -> None:
    """Failure mode 14: creating the worker's scratch space takes seconds (here its workspace
    lock is held for 8 s, as a busy network file system would stall it); distributed warns
    "Creating scratch directories is taking a surprisingly long time" in the worker's log and
    the finding proposes node-local disk."""
    local = shot.tmp / "local"
    lock = local / "dask-scratch-space" / "global.lock"
    lock.parent.mkdir(parents=True)
    app = shot.app("local", shot.config("local", "dask-worker",
                                        f"    local-directory: {local}\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        # distributed's WorkSpace takes <local-directory>/dask-scratch-space/global.lock: held
        # from just before the worker starts until 8 s later.
        holder = subprocess.Popen(["flock", str(lock), "-c", "echo held; exec sleep 8"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            if holder.stdout.readline().strip() != "held":
                raise RuntimeError("flock did not take the lock")
            await pilot.press("plus")
            await wait(pilot, lambda: log_has(app, "surprisingly long time"), 60,
                       "distributed's warning in the worker's log")
        finally:
            holder.kill()
            holder.wait()
        await wait(pilot, lambda: has_finding(app, "slow-local-directory"), 30,
                   "the slow-scratch finding")
        # The warning is near the top of a long log: the logs pane's filter (`/`) shows it.
        app.show_pane("logs")
        await pilot.press("slash", *"scratch", "enter")
        await wait(pilot, lambda: any("surprisingly" in line
                                      for line in app.pane("logs").shown_lines()), 10,
                   "the filtered log")
        await show_finding(pilot, app, "slow-local-directory")
        await settle(pilot)
        shot.save(app, "slow-scratch")
        await quit_app(pilot, app)
    app.shutdown(60)


async def pbs_memory(shot: Shot) -> None:
    """Failure mode 11 on PBS, without PBS: `memory: 20GB` and the job script dask-jobqueue
    really writes for it (`mem=19GB`, binary units named GB); the finding says nothing is lost
    and how to make the numbers agree. Nothing is submitted."""
    app = shot.app("pbs", shot.config("pbs", shot.job_name(), resources=False,
                                      extra="    cores: 4\n    memory: 20GB\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: has_finding(app, "pbs-memory-units"), 30,
                   "the PBS memory finding")
        await show_finding(pilot, app, "pbs-memory-units")
        await settle(pilot)
        shot.save(app, "pbs-memory-units")
        await quit_app(pilot, app)
    app.shutdown(60)


def reset_connections_to(address: str) -> None:
    """Abort every TCP connection to `address` (`tcp://host:port`) with `ss -K`, as the kernel
    does when the process holding its end is killed."""
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    subprocess.run(["ss", "-K", "dst", host, "dport", "=", f":{port}"], check=True,
                   capture_output=True, timeout=20)


async def scheduler_gone(shot: Shot) -> None:
    """Failure mode 16: a connected worker loses its scheduler (the connections to it aborted
    with `ss -K`, as when a login node kills the scheduler's process): the worker's log says
    so, the worker leaves, and the finding says to keep the scheduler alive."""
    app = shot.app("local", shot.config("local", "dask-worker", "    interface: lo\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: app.session.snapshot().connected_workers == 1, 60, "a worker")
        reset_connections_to(app.query_one("#status-bar").scheduler_address)
        await wait(pilot, lambda: has_finding(app, "scheduler-gone"), 60,
                   "the scheduler-gone finding")
        await wait(pilot, lambda: log_has(app, "End worker"), 60, "the worker's process ended")
        # The why of each close, out of the tracebacks: the logs pane's filter (`/`).
        app.show_pane("logs")
        await pilot.press("slash", *"Reason", "enter")
        await wait(pilot, lambda: any("connection-broken" in line
                                      for line in app.pane("logs").shown_lines()), 10,
                   "the filtered log")
        await show_finding(pilot, app, "scheduler-gone")
        await settle(pilot, 2)
        shot.save(app, "scheduler-gone")
        await quit_app(pilot, app)
    app.shutdown(60)


async def no_route(shot: Shot) -> None:
    """Failure mode 4: the worker's node has no route to the scheduler (here its Python runs in
    a network namespace of its own, `unshare -n`, with no interface up); distributed cannot
    pick an address ("Couldn't detect a suitable IP address for reaching ...") and the
    finding says what to set. No `interface`, as on a batch system (the local backend's
    default, `lo`, would pick the address instead of guessing)."""
    python = f"unshare -n {sys.executable}"
    app = shot.app("local", shot.config(
        "local", "dask-worker",
        "    interface: null\n"
        f"    python: {python}\n"
        "    job-script-prologue: ['export DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s']\n"))
    async with app.run_test(size=GRID) as pilot:
        await wait(pilot, lambda: app.session is not None, 30, "the session")
        await pilot.press("plus")
        await wait(pilot, lambda: log_has(app, "suitable IP address"), 60,
                   "distributed's warning in the worker's log")
        await wait(pilot, lambda: has_finding(app, "no-default-route"), 30,
                   "the no-route finding")
        await show_finding(pilot, app, "no-default-route")
        await settle(pilot)
        shot.save(app, "no-route")
        await quit_app(pilot, app)
    app.shutdown(60)


def network_text(app) -> str:
    pane = app.pane("network")
    return "\n".join(str(w.render()) for w in pane.query("Static"))


SCENARIOS = {
    "main-local": main_local,
    "small-terminal": small_terminal,
    "no-module-distributed": no_module_distributed,
    "no-cores-memory": no_cores_memory,
    "nprocs-unknown": nprocs_unknown,
    "dashboard-and-tls": dashboard_and_tls,
    "out-of-memory": out_of_memory,
    "unknown-interface": unknown_interface,
    "tls-one-side": tls_one_side,
    "submit-command-missing": submit_command_missing,
    "slow-scratch": slow_scratch,
    "pbs-memory-units": pbs_memory,
    "scheduler-gone": scheduler_gone,
    "no-route": no_route,
}
