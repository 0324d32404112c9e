"""A Swarm network of real processes on loopback for Python tests: certificates from
`swarm gen-cert`, a sentinel SN, and SL nodes that run ML programs as sidecars. Every
process dies with the test (and is killed by stop())."""
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child whose stdout and stderr go to a log file."""

    def __init__(self, args, log_path, env=None):
        self.args, self.log_path = args, log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for_log(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            if self.popen.poll() is not None:
                return text in self.log()
            time.sleep(0.05)
        return False

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


class SwarmNet:
    def __init__(self, swarm, root, hosts):
        self.swarm, self.root = swarm, root
        self.procs, self.sn_api = [], None
        for host in range(1, hosts + 1):
            subprocess.run([swarm, "gen-cert", "-e", "t", "-i", str(host), "-o", os.path.join(root, "ws")],
                           check=True, stdout=subprocess.DEVNULL)

    def cert(self, name):
        return os.path.join(self.root, "ws", "t", "cert", name)

    def tls(self, role, host):
        return ["--key", self.cert(f"{role}-{host}-key.pem"), "--cert", self.cert(f"{role}-{host}-cert.pem"),
                "--capath", self.cert("ca/capath")]

    def start_sentinel(self):
        self.sn_api = free_port()
        sn = Process([self.swarm, "sn", "--sentinel", "--host-ip", "127.0.0.1", "--sn-api-port", str(self.sn_api),
                      "--sn-p2p-port", str(free_port()), "--data-dir", os.path.join(self.root, "sn")]
                     + self.tls("sn", 1), os.path.join(self.root, "sn.log"))
        self.procs.append(sn)
        assert sn.wait_for_log("Starting SWARM-API-SERVER"), sn.log()
        return sn

    def start_sl(self, host, name, ml_cmd, ml_env, env=None):
        """SL `name` with host `host`'s SL certificate, running `ml_cmd` (a list) as its sidecar."""
        args = [self.swarm, "sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port",
                str(self.sn_api), "--sl-fs-port", str(free_port()), "--data-dir", os.path.join(self.root, name),
                "--ml-name", name, "--ml-entrypoint", ml_cmd[0]] + self.tls("sl", host)
        if len(ml_cmd) > 1:
            args += ["--ml-cmd"] + ml_cmd[1:]
        for key, value in ml_env.items():
            args += ["--ml-e", f"{key}={value}"]
        sl = Process(args, os.path.join(self.root, f"{name}.log"), env=env)
        self.procs.append(sl)
        return sl

    def stop(self):
        for p in reversed(self.procs):
            p.kill()
