"""A Swarm network of real processes on loopback for Python tests: certificates from
`swarm gen-cert`, a sentinel SN, and SL nodes that run ML programs as sidecars. Every
process dies with the test (and is killed by stop())."""
import os
import random
import signal
import socket
import subprocess
import time


def _stat(pid):
    """The fields of /proc/PID/stat after "pid (comm) " (state, ppid, ...), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()  # comm may hold blanks and parentheses


def descendants(pid):
    """Pids of every living process below `pid` (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        fields = _stat(entry) if entry.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    """Whether `pid` is a process that has not exited (a zombie has)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


_handed_out = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A port free now, not handed out before by this process, and below the kernel's
    ephemeral range: outgoing connections take their ports from that range, so with hundreds
    of nodes connecting, a port the kernel chose could be taken before its node listens."""
    low = _ephemeral_low()
    for _ in range(500):
        port = random.randint(max(1024, low - 12000), low - 1)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child whose stdout and stderr go to a log file."""

    def __init__(self, args, log_path, env=None, cwd=None):
        self.args, self.log_path = args, log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                      start_new_session=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_until(self, condition, timeout=60):
        """Whether `condition()` holds within `timeout` seconds (asked once more if the process ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if self.popen.poll() is not None:
                return condition()
            time.sleep(0.05)
        return False

    def wait_for_log(self, text, timeout=60):
        return self.wait_until(lambda: text in self.log(), timeout)

    def wait(self, timeout):
        """The exit status; raises AssertionError naming the command after `timeout` seconds."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.args[:2]} did not exit within {timeout} s; log {self.log_path}")

    def kill(self, sig=signal.SIGKILL):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)  # the SL and its ML program
            except ProcessLookupError:
                pass
            self.popen.wait()
        self._log.close()


def check_same_final_model(test, sls, outs, timeout):
    """Each toy-ML SL in `sls` exits 0 having loaded the final Swarm model, and every file of
    `outs` (their TOY_OUT) holds the same parameters."""
    for sl in sls:
        test.assertEqual(sl.wait(timeout), 0, sl.log()[-3000:])
        test.assertIn("Final Swarm model was loaded.", sl.log())
    models = []
    for path in outs:
        with open(path) as f:
            models.append(f.read())
    test.assertEqual(len(set(models)), 1, "the SLs ended with different models")


class SwarmNet:
    def __init__(self, swarm, root, hosts, host_ips=None):
        """Certificates for `hosts` hosts; `host_ips` ({host: [address, ...]}) adds addresses
        besides 127.0.0.1 to a host's SANs."""
        self.swarm, self.root = swarm, root
        self.procs, self.sn_api = [], None
        for host in range(1, hosts + 1):
            extra = [a for ip in (host_ips or {}).get(host, []) for a in ("--host-ip", ip)]
            subprocess.run([swarm, "gen-cert", "-e", "t", "-i", str(host), "-o", os.path.join(root, "ws")] + extra,
                           check=True, stdout=subprocess.DEVNULL)

    def cert(self, name):
        return os.path.join(self.root, "ws", "t", "cert", name)

    def tls(self, role, host):
        return ["--key", self.cert(f"{role}-{host}-key.pem"), "--cert", self.cert(f"{role}-{host}-cert.pem"),
                "--capath", self.cert("ca/capath")]

    def start_sentinel(self, host_ip="127.0.0.1", prefix=()):
        self.sn_api = free_port()
        return self.start_sn(1, "sn", self.sn_api, host_ip=host_ip, prefix=prefix)

    def start_sn(self, host, name, api, p2p=None, sentinel_api=None, log=None, wait=True, host_ip="127.0.0.1",
                 sentinel_ip="127.0.0.1", prefix=(), extra=()):
        """SN `name` (data dir root/name, log root/`log` or name.log) with host `host`'s SN
        certificate: the sentinel, or one that joins the sentinel at `sentinel_api`. With `wait`,
        returns when its API is up."""
        args = list(prefix) + [self.swarm, "sn", "--host-ip", host_ip, "--sn-api-port", str(api), "--sn-p2p-port",
                str(p2p or free_port()), "--data-dir", os.path.join(self.root, name)] + self.tls("sn", host)
        if sentinel_api is None:
            args.insert(len(prefix) + 2, "--sentinel")
        else:
            args += ["--sentinel-ip", sentinel_ip, "--sentinel-api-port", str(sentinel_api)]
        args += list(extra)
        sn = Process(args, os.path.join(self.root, log or f"{name}.log"))
        self.procs.append(sn)
        if wait:
            assert sn.wait_for_log("Starting SWARM-API-SERVER", timeout=120), sn.log()
        return sn

    def start_sl(self, host, name, ml_cmd, ml_env, env=None, sn_ip="127.0.0.1", log=None, host_ip="127.0.0.1",
                 prefix=(), extra=(), fs_port=None):
        """SL `name` (data dir root/name, log root/`log` or name.log) with host `host`'s SL
        certificate, running `ml_cmd` (a list) as its sidecar; `sn_ip` may list SNs
        ("127.0.0.1:4001,127.0.0.1:4002"), the first one used first. `prefix` runs it through
        another command (ip netns exec NS)."""
        args = list(prefix) + [self.swarm, "sl", "--host-ip", host_ip, "--sn-ip", sn_ip, "--sn-api-port",
                str(self.sn_api), "--sl-fs-port", str(fs_port or free_port()), "--data-dir", os.path.join(self.root, name),
                "--ml-name", name, "--ml-entrypoint", ml_cmd[0]] + self.tls("sl", host)
        if len(ml_cmd) > 1:
            args += ["--ml-cmd"] + ml_cmd[1:]
        for key, value in ml_env.items():
            args += ["--ml-e", f"{key}={value}"]
        args += list(extra)
        # In the test's dir: ML programs write their own logs where they start.
        sl = Process(args, os.path.join(self.root, log or f"{name}.log"), env=env, cwd=self.root)
        self.procs.append(sl)
        return sl

    def stop(self):
        for p in reversed(self.procs):
            p.kill()
