"""Running the things a figure measures: wall time and peak RSS of a child
process, peak RSS of a running one, and the bench's two outcomes besides a
number: a failure and a figure that cannot be measured yet."""
import os
import subprocess
import tempfile
import time


class BenchError(Exception):
    """A figure could not be measured; the message says which and why."""


class Pending(Exception):
    """A figure cannot be measured on this checkout or machine yet; the
    message says what is missing. Reported as null with a note, not as a
    failure."""


class Measured:
    def __init__(self, seconds, rss_mb, stdout, stderr, returncode):
        self.seconds = seconds
        self.rss_mb = rss_mb
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode


def run(cmd, what, timeout=3600, check=True):
    """Runs `cmd` to completion. Returns its wall time and peak RSS (from
    wait4, so only this child counts). Raises BenchError naming `what` when
    it fails and `check` is set."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                raise BenchError(f"{what}: killed after {timeout}s")
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        m = Measured(seconds, usage.ru_maxrss / 1024.0, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"), proc.returncode)
    if check and m.returncode != 0:
        raise BenchError(f"{what}: `{' '.join(map(str, cmd))}` exited {m.returncode}: {m.stderr.strip()[-2000:]}")
    return m


def peak_rss_mb(pid):
    """Peak RSS so far (VmHWM) of a running process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise BenchError(f"process {pid}: no VmHWM in /proc/{pid}/status")
