"""TLS for the scheduler on a shared login node: dask-jobqueue's temporary certificates.

With `security=True` dask-jobqueue makes a throw-away CA and certificates
(`distributed.security.Security.temporary()`), and writes the workers' copies into
`shared_temp_directory`, which the compute nodes must read and nobody else may: it is
created here with mode 0700 (an existing one that others can read is refused, by name).

dask-jobqueue 0.9.0 reads `security` only as a cluster keyword argument, never from
`jobqueue.<kind>` config, so `tls_cluster_kwargs` adds it to the profile's cluster kwargs.
`tls_warning(profile, address)` says when the scheduler will listen on every interface
without TLS (the warning text is network/address.py's).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hpctui.core.config.profile import Profile
from hpctui.core.network.address import (SOURCE_DEFAULT, SOURCE_HOST, WILDCARD_HOSTS,
                                         address_source, describe_scheduler_address,
                                         split_address)


def private_dir(path: str | os.PathLike) -> Path:
    """`path` as a directory only its owner can enter: created 0700, or checked if it exists.

    ValueError naming the path and its mode when it is not a directory, not ours, or open to
    group/others (the certificates' private keys would be readable there).
    """
    p = Path(path).expanduser()
    p.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = p.stat()
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"shared-temp-directory: {p} is not a directory")
    if st.st_uid != os.getuid():
        raise ValueError(f"shared-temp-directory: {p} belongs to uid {st.st_uid}, not to you")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise ValueError(f"shared-temp-directory: {p} has mode {mode:o}; TLS keys need a "
                         "directory only you can read (chmod 700)")
    return p


def tls_cluster_kwargs(cluster_kwargs: Mapping[str, Any],
                       shared_temp_directory: str | os.PathLike) -> dict[str, Any]:
    """`cluster_kwargs` with TLS on: `security=True` and a private `shared_temp_directory`."""
    directory = private_dir(shared_temp_directory)
    kwargs = dict(cluster_kwargs)
    kwargs["security"] = True
    kwargs["shared_temp_directory"] = str(directory)
    kwargs.pop("protocol", None)  # dask-jobqueue picks tls:// itself when security is given
    return kwargs


def listens_on_all_interfaces(profile: Profile) -> bool:
    """True when the scheduler will bind every interface: the setting that decides its host
    (dask-jobqueue's precedence: `scheduler-options` host or interface, else `interface`)
    names none, or names a wildcard host (`0.0.0.0`, `::`): distributed then listens on
    `tcp://:port`. The local backend's default, `interface: lo`, binds loopback only."""
    try:
        source = address_source(profile.settings)
    except ValueError:  # host and interface both set: distributed refuses to start at all
        return False
    if source.key == SOURCE_DEFAULT:
        return True
    return source.key == SOURCE_HOST and source.value.strip("[]") in WILDCARD_HOSTS


def tls_warning(profile: Profile, scheduler_address: str | None,
                tls: bool = False) -> str | None:
    """The shared-login-node warning when the scheduler listens everywhere without TLS."""
    if not scheduler_address or tls or not listens_on_all_interfaces(profile):
        return None
    protocol, _, port = split_address(scheduler_address)
    if protocol == "tls":
        return None
    facts = describe_scheduler_address(f"{protocol}://0.0.0.0:{port}", scheduler_address,
                                       profile.settings)
    return facts.warnings[0] if facts.warnings else None


# With `scheduler-placement: job` the cluster outlives hpctui (detach, reattach, a notebook's
# Client), so its certificates cannot live in memory as dask-jobqueue's temporary ones do:
# they are written once into a private directory the scheduler job, the workers, hpctui and
# the user's own Client all read, and reused by every later attach.
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


def cluster_certificates(directory: str | os.PathLike):
    """A `distributed.Security` for every role from files in `directory` (0700), made on
    first use the way `Security.temporary()` makes them: one self-signed pair, which is also
    the CA. Files that exist are reused, so a reattached hpctui speaks to the same cluster."""
    from distributed.security import Security

    d = private_dir(directory)
    cert, key = d / CERT_FILE, d / KEY_FILE
    if not (cert.is_file() and key.is_file()):
        made = Security.temporary()
        for path, text in ((key, made.tls_scheduler_key), (cert, made.tls_scheduler_cert)):
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
    c, k = str(cert), str(key)
    return Security(require_encryption=True, tls_ca_file=c,
                    tls_client_cert=c, tls_client_key=k, tls_scheduler_cert=c,
                    tls_scheduler_key=k, tls_worker_cert=c, tls_worker_key=k)


def client_security_code(directory: str | os.PathLike) -> str:
    """The Python that builds the client's Security object from `cluster_certificates`' files."""
    d = Path(directory)
    c, k = str(d / CERT_FILE), str(d / KEY_FILE)
    return (f"Security(tls_ca_file={c!r}, tls_client_cert={c!r}, tls_client_key={k!r}, "
            "require_encryption=True)")
