"""What the examples' `run` scripts share: a swarm on one machine, started with the same
`swarm` commands a user types (each is printed before it runs), in a workspace directory.

    with LocalSwarm("mnist-pyt") as swarm:
        swarm.gen_cert()
        swarm.start_sentinel()
        sls = [swarm.start_sl(f"sl{i}", [PYTHON, program], {"MAX_EPOCHS": "2", ...}) for i in ...]
        swarm.wait(sls)

Everything it started is stopped when the `with` block ends: normally, on an error, on
Ctrl-C or SIGTERM. `main(fn)` turns the outcome into the exit status (0, 1 or 130).
"""
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PYTHON = "/usr/bin/python3"  # Debian's, which sees Debian's PyTorch
FINAL_LINE = "All peers and Swarm training rounds finished. Final Swarm model was loaded."


class RunError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_int(name, default):
    text = os.environ.get(name) or str(default)
    if not text.isdigit() or int(text) < 1:
        raise RunError(f"{name} must be a positive integer; got '{text}'")
    return int(text)


class Process:
    """A child in its own process group (an SL and its ML program), output in a log file."""

    def __init__(self, name, args, log_path, env=None):
        self.name, self.log_path = name, log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def tail(self, lines=15):
        return "\n".join(self.log().splitlines()[-lines:])

    def running(self):
        return self.popen.poll() is None

    def stop(self):
        if self.running():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
            except ProcessLookupError:
                pass
        self._log.close()


class LocalSwarm:
    def __init__(self, example):
        self.example = example
        self.swarm = os.environ.get("SWARM") or os.path.join(ROOT, "build", "src", "cli", "swarm")
        if not os.access(self.swarm, os.X_OK):
            raise RunError(f"{self.swarm} is not there; run scripts/setup first (it builds swarm)")
        ws = os.environ.get("WORKSPACE")
        if ws:
            if os.path.exists(ws) and os.listdir(ws):
                raise RunError(f"WORKSPACE {ws} exists and is not empty; name a new or empty directory")
            os.makedirs(ws, exist_ok=True)
        else:
            ws = tempfile.mkdtemp(prefix=f"swarm-{example}-")
        self.ws = os.path.abspath(ws)
        self.logs = os.path.join(self.ws, "logs")
        os.makedirs(self.logs)
        # The ML programs import swarmlearning from this checkout's build.
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [os.path.join(ROOT, "build", "python"), os.environ.get("PYTHONPATH")])))
        self.procs, self.api_port, self.started = [], None, time.monotonic()
        self.say(f"workspace {self.ws}")

    def __enter__(self):
        signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.stop()
        return False

    def say(self, text):
        print(f"[{time.monotonic() - self.started:5.0f} s] {text}", flush=True)

    def show(self, args):
        shown = ["swarm" if a == self.swarm else os.path.relpath(a, self.ws) if a.startswith(self.ws + "/") else a
                 for a in args]
        print("  $ " + " ".join(shlex.quote(a) for a in shown), flush=True)

    def cert(self, name, host=1):
        return os.path.join(self.ws, self.example, "cert", name.format(host=host))

    def tls(self, role, host=1):
        return ["--key", self.cert(f"{role}-{{host}}-key.pem", host), "--cert",
                self.cert(f"{role}-{{host}}-cert.pem", host), "--capath", self.cert("ca/capath", host)]

    def gen_cert(self, host=1):
        args = [self.swarm, "gen-cert", "-e", self.example, "-i", str(host), "-o", self.ws]
        self.show(args)
        done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RunError(f"swarm gen-cert failed: {done.stderr.strip()}")

    def start_sentinel(self):
        self.api_port = int(os.environ.get("SN_API_PORT") or free_port())
        p2p = int(os.environ.get("SN_P2P_PORT") or free_port())
        args = [self.swarm, "sn", "--sentinel", "--host-ip", "127.0.0.1", "--sn-api-port", str(self.api_port),
                "--sn-p2p-port", str(p2p), "--data-dir", os.path.join(self.ws, "sn")] + self.tls("sn")
        sn = self.start("sn", args)
        deadline = time.monotonic() + 60
        while "Starting SWARM-API-SERVER" not in sn.log():
            if not sn.running() or time.monotonic() > deadline:
                raise RunError(f"the SN did not start; its log ({sn.log_path}) ends:\n{sn.tail()}")
            time.sleep(0.1)
        return sn

    def start_sl(self, name, ml_cmd, ml_env, host=1):
        """SL `name` on the sentinel, running `ml_cmd` (a list) with `ml_env` as its sidecar."""
        args = [self.swarm, "sl", "--host-ip", "127.0.0.1", "--sn-ip", "127.0.0.1", "--sn-api-port",
                str(self.api_port), "--sl-fs-port", str(free_port()), "--data-dir", os.path.join(self.ws, name)]
        args += self.tls("sl", host) + ["--ml-name", name, "--ml-entrypoint", ml_cmd[0]]
        if len(ml_cmd) > 1:
            args += ["--ml-cmd"] + ml_cmd[1:]
        for key, value in ml_env.items():
            args += ["--ml-e", f"{key}={value}"]
        return self.start(name, args)

    def start(self, name, args, env=None):
        self.show(args)
        p = Process(name, args, os.path.join(self.logs, f"{name}.log"), env or self.env)
        self.procs.append(p)
        return p

    def wait(self, procs, timeout=None, check_final=True):
        """Waits for every process to exit 0 (and, for SLs, to have delivered the final model),
        printing the latest round of each every 5 s."""
        timeout = timeout or env_int("TIMEOUT", 900)
        deadline, last = time.monotonic() + timeout, 0.0
        while any(p.running() for p in procs):
            for p in procs:
                if not p.running() and p.popen.returncode != 0:
                    raise RunError(f"{p.name} failed (exit status {p.popen.returncode}); its log ({p.log_path}) "
                                   f"ends:\n{p.tail()}")
            if time.monotonic() > deadline:
                raise RunError(f"not finished within {timeout} s (TIMEOUT); logs in {self.logs}")
            if time.monotonic() - last >= 5:
                last = time.monotonic()
                self.say("   ".join(f"{p.name}: round {_latest_round(p)}" for p in procs))
            time.sleep(0.2)
        for p in procs:
            if p.popen.returncode != 0 or (check_final and FINAL_LINE not in p.log()):
                raise RunError(f"{p.name} ended with status {p.popen.returncode} without the final model; "
                               f"its log ({p.log_path}) ends:\n{p.tail()}")


def _latest_round(p):
    marker = "merged model of round "
    at = p.log().rfind(marker)
    if at < 0:
        return "-"
    return p.log()[at + len(marker):].split(" ", 1)[0]


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(fn):
    """Runs fn() and exits: 0 if it returned, 1 on a RunError, 130 on Ctrl-C or SIGTERM."""
    try:
        fn()
    except RunError as e:
        print(f"run failed: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        sys.exit(130)
    sys.exit(0)
