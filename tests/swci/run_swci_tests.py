"""Runs the SWCI command scripts in this folder (DuckDB sqllogictest style) against a real
sentinel SN, and compares SWCI's transcript with the expected one.

A .test file is a transcript: lines "SWCI:N > command" are fed to `swarm swci`, every
other line is expected output. In expected lines, ${SN_API_PORT} is the SN's API port
and <ANY> matches any text. Lines starting with "## " are comments; "## exit: N" sets
the expected exit status (default 0); "## unreached: command" feeds a command that must
not run (after EXIT, or after a failure with EXIT ON FAILURE ON); "## mode: script" runs
the commands as an init script (--usr-dir DIR --init-script-name NAME) instead of stdin.

SWCI runs in a fresh directory DIR (its current directory; --usr-dir in script mode),
${USR_DIR} in expected lines. "## file: NAME" writes the lines that follow, up to
"## end", to DIR/NAME (task definitions for CREATE TASK FROM). "## env: NAME=VALUE" sets
an environment variable for SWCI. "## interrupt: SECONDS" sends SIGINT that long after
SWCI starts (for Ctrl-C during a wait).

Run: /usr/bin/python3 run_swci_tests.py --swarm PATH_TO_SWARM [FILE.test ...]
"""
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import free_port  # noqa: E402

PROMPT = re.compile(r"^SWCI:\d+ > ")


class Script:
    def __init__(self):
        self.commands, self.expected, self.exit_code, self.script = [], [], 0, False
        self.files, self.env, self.interrupt = {}, {}, None


def parse(path):
    t = Script()
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("## mode:"):
            t.script = line.split(":", 1)[1].strip() == "script"
        elif line.startswith("## exit:"):
            t.exit_code = int(line.split(":", 1)[1])
        elif line.startswith("## unreached:"):
            t.commands.append(line.split(":", 1)[1].strip())
        elif line.startswith("## env:"):
            name, value = line.split(":", 1)[1].strip().split("=", 1)
            t.env[name] = value
        elif line.startswith("## interrupt:"):
            t.interrupt = float(line.split(":", 1)[1])
        elif line.startswith("## file:"):
            name, body = line.split(":", 1)[1].strip(), []
            while i < len(lines) and lines[i] != "## end":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{path}: '## file: {name}' has no '## end'")
            i += 1
            t.files[name] = "\n".join(body) + "\n"
        elif line.startswith("## ") or line == "##":
            continue
        else:
            if PROMPT.match(line):
                t.commands.append(PROMPT.sub("", line))
            t.expected.append(line)
    return t


def substitute(text, variables):
    for k, v in variables.items():
        text = text.replace("${" + k + "}", v)
    return text


def line_matches(want, got, variables):
    want = substitute(want, variables)
    pattern = "^" + ".*".join(re.escape(part) for part in want.split("<ANY>")) + "$"
    return re.match(pattern, got) is not None


class Sentinel:
    def __init__(self, swarm, work):
        self.port = free_port()
        cert = os.path.join(work, "ws", "t", "cert")
        self.log_path = os.path.join(work, "sn.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [swarm, "sn", "--sentinel", "--host-ip", "127.0.0.1", "--sn-api-port", str(self.port),
             "--sn-p2p-port", str(free_port()), "--key", f"{cert}/sn-1-key.pem", "--cert", f"{cert}/sn-1-cert.pem",
             "--capath", f"{cert}/ca/capath", "--data-dir", os.path.join(work, "sn")],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.log_path) as f:
                if "Starting SWARM-API-SERVER" in f.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(self.log_path) as f:
            raise RuntimeError("the sentinel SN did not start:\n" + f.read())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def run_swci(argv, text, usr, t):
    env = dict(os.environ, **t.env)
    proc = subprocess.Popen(argv, cwd=usr, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if t.interrupt is None:
        out, err = proc.communicate(text, timeout=120)
        return proc.returncode, out, err
    proc.stdin.write(text)
    proc.stdin.flush()  # left open: SWCI is still reading when the signal comes
    time.sleep(t.interrupt)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def run_file(swarm, path):
    t = parse(path)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([swarm, "gen-cert", "-e", "t", "-i", "1", "-o", os.path.join(work, "ws")],
                       check=True, capture_output=True)
        usr = os.path.realpath(os.path.join(work, "usr"))
        os.mkdir(usr)
        for name, body in t.files.items():
            os.makedirs(os.path.dirname(os.path.join(usr, name)), exist_ok=True)
            with open(os.path.join(usr, name), "w") as f:
                f.write(body)
        sn = Sentinel(swarm, work)
        variables = {"SN_API_PORT": str(sn.port), "USR_DIR": usr}
        commands = [substitute(c, variables) for c in t.commands]
        try:
            cert = os.path.join(work, "ws", "t", "cert")
            argv = [swarm, "swci", "--key", f"{cert}/swci-1-key.pem", "--cert", f"{cert}/swci-1-cert.pem",
                    "--capath", f"{cert}/ca/capath"]
            text = "\n".join(commands) + "\n"
            if t.script:
                with open(os.path.join(usr, "setup.swci"), "w") as f:
                    f.write(text)
                argv += ["--usr-dir", usr, "--init-script-name", "setup.swci"]
                text = ""
            returncode, stdout, stderr = run_swci(argv, text, usr, t)
        finally:
            sn.stop()
    got = stdout.splitlines()
    expected = t.expected
    problems = []
    for i in range(max(len(expected), len(got))):
        want = expected[i] if i < len(expected) else "<nothing>"
        have = got[i] if i < len(got) else "<nothing>"
        if i >= len(expected) or i >= len(got) or not line_matches(want, have, variables):
            problems.append(f"line {i + 1}: expected {want!r}\n{' ' * (len(str(i + 1)) + 7)}got      {have!r}")
            break
    if returncode != t.exit_code:
        problems.append(f"exit status {returncode}, expected {t.exit_code}; stderr: {stderr}")
    return problems, stdout


def main():
    swarm, argv = swarm_args.split(sys.argv)
    files = argv[1:] or sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "*.test")))
    failed = 0
    for path in files:
        problems, transcript = run_file(swarm, path)
        name = os.path.basename(path)
        if problems:
            failed += 1
            print(f"FAIL {name}\n  " + "\n  ".join(problems) + "\n--- transcript ---\n" + transcript)
        else:
            print(f"ok   {name}")
    print(f"{len(files) - failed} of {len(files)} SWCI scripts passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
