"""hpctui_procview's pure parts: /proc/PID/syscall lines, mount tables, faulthandler's text."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "hpctui" / "on_node"))
import hpctui_procview as pv  # noqa: E402


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 numbering")
def test_syscall_lines_name_the_call_and_its_fd():
    assert pv.blocked_call(os.getpid(), "running") == "running"
    assert pv.blocked_call(os.getpid(), "230 0x0 0x0 0x7ffd 0x7ffe 0x0 0x0 0x7ff 0x7f") == \
        {"nr": 230, "name": "clock_nanosleep"}
    r, w = os.pipe()
    try:
        call = pv.blocked_call(os.getpid(), f"0 {r:#x} 0x7f00 0x1000 0x0 0x0 0x0 0x7ff 0x7f")
        assert call["name"] == "read" and call["fd"] == r and call["path"].startswith("pipe:[")
    finally:
        os.close(r)
        os.close(w)
    assert pv.blocked_call(os.getpid(), "-1 0x7ffd 0x7f") == {"nr": -1, "name": "(not in a system call)"}
    assert pv.blocked_call(os.getpid(), "999 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x2")["name"] == "syscall 999"


def test_a_path_argument_is_read_from_our_own_memory():
    import ctypes

    buf = ctypes.create_string_buffer(b"/some/where.pth")
    assert pv.read_string(os.getpid(), ctypes.addressof(buf)) == "/some/where.pth"
    assert pv.read_string(os.getpid(), 0) is None


def test_mount_table_longest_prefix_and_escaped_spaces(tmp_path):
    table_file = tmp_path / "mounts"
    table_file.write_text("/dev/vda / ext4 rw 0 0\n"
                          "srv:/home /home nfs4 rw 0 0\n"
                          "lustre@o2ib:/fs /lus\\040tre lustre rw 0 0\n")
    table = pv.mounts(str(table_file))
    assert pv.fs_type("/home/u/env/lib/x.py", table) == "nfs4"
    assert pv.fs_type("/lus tre/env/x.py", table) == "lustre"
    assert pv.fs_type("/homeless/x", table) == "ext4"


def test_faulthandler_text_to_threads_innermost_first():
    text = ('Fatal Python error: Aborted\n\nThread 0x00007f01 (most recent call first):\n'
            '  File "/usr/lib/python3.11/threading.py", line 320 in wait\n\n'
            'Current thread 0x00007f00 (most recent call first):\n'
            '  File "<string>", line 1 in <module>\n'
            '  File "<frozen site>", line 186 in addpackage\n\nExtension modules: x (total: 1)\n')
    threads = pv.parse_dump(text)
    assert [h for h, _ in threads] == ["Thread 0x00007f01 (most recent call first)",
                                      "Current thread 0x00007f00 (most recent call first)"]
    assert threads[1][1] == [("<string>", 1, "<module>"), ("<frozen site>", 186, "addpackage")]


def test_pth_lines_that_run_code(tmp_path):
    pth = tmp_path / "x.pth"
    pth.write_text("# comment\n/some/dir\nimport a; a.go()\n\nimport\tb\n")
    assert pv.pth_exec_lines(str(pth)) == [(3, "import a; a.go()"), (5, "import\tb")]
    (tmp_path / "aa.pth").write_text("/only/paths\n")
    assert pv.pth_candidates([str(tmp_path)]) == [(str(pth), [(3, "import a; a.go()"),
                                                              (5, "import\tb")])]
