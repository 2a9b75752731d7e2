"""TLS helpers for the shared login node: the private certificate directory and the warning."""

from __future__ import annotations

import os
import stat

import pytest

from hpctui.core.config.profile import Profile
from hpctui.core.network.security import listens_on_all_interfaces, private_dir, tls_cluster_kwargs, tls_warning


def test_private_dir_is_created_0700(tmp_path):
    d = private_dir(tmp_path / "a" / "certs")
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_private_dir_refuses_a_readable_one_by_name(tmp_path):
    d = tmp_path / "open"
    d.mkdir()
    os.chmod(d, 0o755)
    with pytest.raises(ValueError, match=r"shared-temp-directory: .*open has mode 755"):
        private_dir(d)


def test_private_dir_refuses_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises((ValueError, FileExistsError)):
        private_dir(f)


def test_tls_kwargs_set_security_and_directory(tmp_path):
    kw = tls_cluster_kwargs({"cores": 1, "protocol": "tcp://"}, tmp_path / "tls")
    assert kw["security"] is True and kw["shared_temp_directory"] == str(tmp_path / "tls")
    assert "protocol" not in kw and kw["cores"] == 1


def test_warning_only_when_listening_everywhere_without_tls():
    bare = Profile("slurm", {"cores": 1})
    assert listens_on_all_interfaces(bare)
    warning = tls_warning(bare, "tcp://192.0.2.2:41735")
    assert warning and "without TLS" in warning and "41735" in warning and "security: true" in warning
    assert tls_warning(bare, "tls://192.0.2.2:41735") is None
    assert tls_warning(bare, None) is None
    pinned = Profile("slurm", {"cores": 1, "interface": "ib0"})
    assert not listens_on_all_interfaces(pinned) and tls_warning(pinned, "tcp://10.0.0.1:1") is None
    host = Profile("slurm", {"scheduler-options": {"host": "10.0.0.1"}})
    assert tls_warning(host, "tcp://10.0.0.1:1") is None
