"""Faults of whole nodes during a Swarm training, with real processes, real etcd members and
real TLS: three SNs (host 1 the sentinel) and three SLs running toy_ml, each SL given every SN
with its own first. Each cell checks that the training still completes with the same final
model on every SL, and that the logs say what happened; signals end a node and everything it
started (checked through /proc).

Run: /usr/bin/python3 network_faults_test.py --swarm PATH --toy-ml PATH [unittest args]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarm_args  # noqa: E402
from support.swarm_net import SwarmNet, alive, descendants, free_port  # noqa: E402


def comm(pid):
    """The name of process `pid`, or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""

SWARM = None  # set from the command line before unittest.main
TOY_ML = None
CONTRACT = "defaultbb.cqdb.sml.hpe"
# Every step of a test has a deadline: a stall fails the test naming what it waited for.
STEP_TIMEOUT = 120
# The longest pause a crashed SN may cause its SLs: a crashed host refuses connections at once,
# so the pause is the etcd leader election (the sentinel's member may lead) and one round.
STALL_LIMIT = 20
# A killed SL: its lease (10 s) runs out before the others stop waiting for it, and a leader
# tries a dead member's file server three times, a second apart; 10 s more for the rest.
MEMBER_STALL_LIMIT = 10 + 3 + 10


class NetworkFaultsTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="swarm-faults-")
        self.net = SwarmNet(SWARM, self.root, hosts=3)
        self.api = [free_port() for _ in range(3)]
        self.p2p = [free_port() for _ in range(3)]
        self.sns = [None] * 3
        self.start_sn(0)
        self.start_sn(1)
        self.start_sn(2)
        self.net.sn_api = self.api[0]
        self.sls = []

    def tearDown(self):
        self.net.stop()
        result = getattr(self._outcome, "result", None)
        if result is not None and any(test is self for test, _ in result.failures + result.errors):
            for name in sorted(os.listdir(self.root)):  # what each node said, for the failure
                if name.endswith(".log"):
                    with open(os.path.join(self.root, name), errors="replace") as f:
                        tail = f.read().splitlines()[-30:]
                    print(f"\n--- {name} (last lines)\n" + "\n".join(tail), file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)

    def start_sn(self, i, wait=True, log=None):
        self.sns[i] = self.net.start_sn(i + 1, f"sn{i + 1}", self.api[i], p2p=self.p2p[i],
                                        sentinel_api=None if i == 0 else self.api[0], log=log, wait=wait)
        return self.sns[i]

    def sn_list(self, first):
        order = [first] + [i for i in range(3) if i != first]
        return ",".join(f"127.0.0.1:{self.api[i]}" for i in order)

    def out(self, i):
        return os.path.join(self.root, f"model-{i + 1}.txt")

    def start_training(self, epochs=8, min_peers=3, ballast_mb=0, batches=20, log_suffix="", sl_env=None):
        """Three SLs; with minPeers 3 every round has all three, so none can finish the
        training before the last one has joined. `ballast_mb` makes the model that much larger.
        Started again, the SLs keep their data dirs and log to sl<N><log_suffix>.log. `sl_env`
        is added to the SLs' environment."""
        env_of_sl = dict(os.environ, **sl_env) if sl_env else None
        self.sls = []
        for i in range(3):
            env = {"TOY_SEED": str(i + 1), "TOY_MIN_PEERS": str(min_peers), "TOY_EPOCHS": str(epochs),
                   "TOY_OUT": self.out(i), "TOY_BALLAST_MB": str(ballast_mb), "TOY_BATCHES": str(batches)}
            self.sls.append(self.net.start_sl(i + 1, f"sl{i + 1}", [TOY_ML], env, env=env_of_sl,
                                              sn_ip=self.sn_list(i), log=f"sl{i + 1}{log_suffix}.log"))

    def wait_merged(self, sl, round_number, timeout):
        """Whether `sl` loads the merged model of `round_number` or a later one (an SL that
        starts late catches up and skips rounds) within `timeout` seconds."""
        return sl.wait_until(lambda: self.last_merged(sl) >= round_number, timeout)

    def wait_all_merged(self, round_number):
        for sl in self.sls:
            self.assertTrue(self.wait_merged(sl, round_number, STEP_TIMEOUT),
                            f"waited for the merged model of round {round_number}:\n{sl.log()}")

    def assert_training_completes_alike(self):
        for sl in self.sls:
            self.assertEqual(sl.wait(STEP_TIMEOUT * 2), 0, sl.log())
            self.assertIn("Final Swarm model was loaded.", sl.log())
        models = []
        for i in range(3):
            with open(self.out(i)) as f:
                models.append(f.read())
        self.assertTrue(models[0])
        self.assertEqual(models[1], models[0])
        self.assertEqual(models[2], models[0])

    def swci(self, host, commands):
        script = f"CREATE CONTEXT c WITH IP 127.0.0.1 {self.api[host]}\nSWITCH CONTEXT c\n" + commands + "EXIT\n"
        r = subprocess.run([SWARM, "swci"] + self.net.tls("swci", host + 1), input=script, capture_output=True,
                           text=True, timeout=STEP_TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def assert_stops_within(self, proc, sig, seconds):
        """Sends `sig` to `proc` alone; it must exit within `seconds` and leave none of the
        processes it started."""
        below = descendants(proc.popen.pid)
        self.assertTrue(below, f"{proc.args[:2]} had started no process")
        os.kill(proc.popen.pid, sig)
        start = time.monotonic()
        proc.wait(seconds)
        took = time.monotonic() - start
        deadline = time.monotonic() + 5  # a child reaped by init may take a moment to vanish
        while any(alive(p) for p in below) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in below if alive(p)]
        self.assertEqual(left, [], f"{proc.args[:2]} left processes {left} after {sig!r}")
        return took

    def last_merged(self, sl):
        rounds = [int(n) for n in re.findall(r"merged model of round (\d+) loaded", sl.log())]
        return max(rounds, default=0)

    def kill_sn_during_training(self, i, etcd_only=False):
        self.start_training()
        self.wait_all_merged(2)
        at = self.last_merged(self.sls[i])
        killed = time.monotonic()
        if etcd_only:
            # The etcd member alone: its SN sees it gone, says so and stops.
            etcd = [p for p in descendants(self.sns[i].popen.pid) if comm(p) == "etcd"]
            self.assertEqual(len(etcd), 1, f"SN {i + 1}'s processes: {descendants(self.sns[i].popen.pid)}")
            os.kill(etcd[0], signal.SIGKILL)
            self.assertEqual(self.sns[i].wait(STEP_TIMEOUT), 1)
            self.assertIn("This SN's etcd member (ledger store) exited", self.sns[i].log())
        else:
            self.sns[i].kill(signal.SIGKILL)  # the SN and its etcd member, as a host that crashed
        # The SL that used it merges again within the stall bound.
        self.assertTrue(self.wait_merged(self.sls[i], at + 1, STALL_LIMIT),
                        f"waited {STALL_LIMIT} s for the merged model of round {at + 1}")
        print(f"\nSN {i + 1} killed: SL {i + 1} merged round {at + 1} "
              f"{time.monotonic() - killed:.1f} s later", file=sys.stderr)
        self.assert_training_completes_alike()
        # The SL whose first SN died said so and moved to another from its list (the next one,
        # or the one after when the next was itself waiting for a new etcd leader).
        log = self.sls[i].log()
        self.assertIn(f"SN 127.0.0.1:{self.api[i]} cannot be reached", log)
        moved_to = re.findall(r"now using SN 127\.0\.0\.1:(\d+)", log)
        self.assertTrue(moved_to, log)
        self.assertIn(int(moved_to[0]), [self.api[k] for k in range(3) if k != i])
        survivor = (i + 1) % 3
        status = self.swci(survivor, f"GET CONTRACT STATUS {CONTRACT}\n")
        self.assertNotIn("Last merged    : -", status)

    def test_sigkill_of_a_non_sentinel_sn_mid_training_its_sl_fails_over_and_training_completes(self):
        self.kill_sn_during_training(1)

    def test_sigkill_of_the_sentinel_sn_mid_training_its_sl_fails_over_and_training_completes(self):
        self.kill_sn_during_training(0)

    def test_sigkill_of_the_etcd_member_under_an_sn_stops_it_and_its_sl_fails_over(self):
        self.kill_sn_during_training(1, etcd_only=True)

    def kill_member_mid_transfer(self, leader_says, sharded=False):
        """With 192 MiB models, SIGKILL of an SL and its program as soon as the leader of a
        round (round 2 or later) says `leader_says`: a member whose model the leader is fetching,
        or one fetching the merged model. The two others (minPeers 2) go on and end alike. What
        the kill hit is printed: the leader leaving the victim's model out, or the victim not
        having loaded the merged model yet. Unless `sharded`, the rounds are merged by one
        leader (SL_SHARD_MIN_MB=0); sharded, every SL merges a 64 MiB shard of each round."""
        self.start_training(epochs=2, min_peers=2, ballast_mb=192, batches=10,
                            sl_env=None if sharded else {"SL_SHARD_MIN_MB": "0"})
        found = {}

        def leader_speaks():
            for i, sl in enumerate(self.sls):
                rounds = [int(r) for r in re.findall(leader_says + r" of round (\d+)", sl.log())]
                if any(r >= 2 for r in rounds):
                    found.update(leader=i, round=max(rounds))
                    return True
            return False

        self.assertTrue(self.sls[0].wait_until(leader_speaks, STEP_TIMEOUT * 2),
                        f"no leader said '{leader_says}' of a round from 2 on")
        # Sharded, the one that said it is a shard merger in the middle of its merge.
        victim = found["leader"] if sharded else (found["leader"] + 1) % 3
        self.sls[victim].kill(signal.SIGKILL)
        killed = time.monotonic()
        loaded = f"merged model of round {found['round']} loaded" in self.sls[victim].log()
        survivors = [sl for k, sl in enumerate(self.sls) if k != victim]
        for sl in survivors:
            self.assertTrue(self.wait_merged(sl, found["round"] + 1, MEMBER_STALL_LIMIT),
                            f"waited {MEMBER_STALL_LIMIT} s for the merged model of round {found['round'] + 1}:\n"
                            + sl.log()[-3000:])
        took = time.monotonic() - killed
        for sl in survivors:
            self.assertEqual(sl.wait(STEP_TIMEOUT * 2), 0, sl.log()[-3000:])
            self.assertIn("Final Swarm model was loaded.", sl.log())
        outs = [self.out(k) for k in range(3) if k != victim]
        with open(outs[0]) as a, open(outs[1]) as b:
            self.assertEqual(a.read(), b.read())
        said = [line for sl in survivors for line in sl.log().splitlines()
                if any(words in line for words in ("leaving out the model of node", "is no longer alive",
                                                   "cannot fetch the model of node", "passing the shard on"))]
        print(f"\nSL {victim + 1} killed when leader SL {found['leader'] + 1} said '{leader_says}' of round "
              f"{found['round']} (it had {'' if loaded else 'not '}loaded that round's merged model): the others "
              f"merged round {found['round'] + 1} {took:.1f} s later; they said: {said[:2]}", file=sys.stderr)

    def test_sigkill_of_a_member_while_the_leader_fetches_its_model(self):
        self.kill_member_mid_transfer("leading the merge")

    def test_sigkill_of_a_member_while_it_fetches_the_merged_model(self):
        self.kill_member_mid_transfer("recorded the merge")

    def test_sigkill_of_a_shard_merger_in_the_middle_of_its_merge(self):
        self.kill_member_mid_transfer("merging shard [0-9]+", sharded=True)

    def test_sigterm_to_an_sl_ends_it_and_its_ml_program_and_the_others_carry_on(self):
        self.start_training(min_peers=2)  # the two others go on without it
        self.wait_all_merged(1)
        took = self.assert_stops_within(self.sls[2], signal.SIGTERM, 30)
        self.assertLess(took, 15)
        # When the signal lands while SL 3 leads a merge it may have recorded and nobody
        # fetched yet, the others have the round merged again (docs/rounds.md).
        for sl in self.sls[:2]:
            self.assertEqual(sl.wait(STEP_TIMEOUT * 2), 0, sl.log())
        with open(self.out(0)) as a, open(self.out(1)) as b:
            self.assertEqual(a.read(), b.read())

    def test_a_training_in_progress_resumes_after_the_whole_network_restarts(self):
        self.start_training(epochs=6)
        self.wait_all_merged(3)
        for sl in self.sls:
            self.assert_stops_within(sl, signal.SIGTERM, 30)
        before = max(self.last_merged(sl) for sl in self.sls)
        for i in (2, 1, 0):
            self.assert_stops_within(self.sns[i], signal.SIGTERM, 30)
        for i in range(3):
            self.start_sn(i, wait=False, log=f"sn{i + 1}-again.log")
        for sn in self.sns:
            self.assertTrue(sn.wait_for_log("Starting SWARM-API-SERVER", STEP_TIMEOUT), sn.log())
        status = self.swci(0, f"GET CONTRACT STATUS {CONTRACT}\n")
        merged = int(re.search(r"Last merged +: round (\d+)", status).group(1))
        self.assertGreaterEqual(merged, before)
        self.start_training(epochs=6, log_suffix="-again")
        for sl in self.sls:
            # Each program starts from the latest merged model, and the rounds go on from there.
            self.assertTrue(sl.wait_for_log(f"resuming Swarm training from the merged model of round {merged}",
                                            STEP_TIMEOUT), sl.log())
        self.wait_all_merged(merged + 1)
        for sl in self.sls:
            rounds = [int(n) for n in re.findall(r"merged model of round (\d+) loaded", sl.log())]
            self.assertGreater(min(rounds), merged, sl.log())
        self.assert_training_completes_alike()
        print(f"\nstopped after round {before} (ledger: {merged}); every SL resumed from round {merged}",
              file=sys.stderr)

    def test_the_whole_network_restarted_on_its_data_dirs_keeps_its_history(self):
        self.start_training(epochs=2)
        self.assert_training_completes_alike()
        before = self.swci(1, f"GET CONTRACT STATUS {CONTRACT}\nLIST NODES\n")
        self.assertNotIn("Last merged    : -", before)
        # SIGINT or SIGTERM: each SN exits within its deadline and stops its etcd member.
        for i, sig in ((2, signal.SIGINT), (1, signal.SIGTERM), (0, signal.SIGTERM)):
            self.assert_stops_within(self.sns[i], sig, 30)
        for i in range(3):
            r = subprocess.run([SWARM, "sn", "verify", "--data-dir", os.path.join(self.root, f"sn{i + 1}")],
                               capture_output=True, text=True, timeout=STEP_TIMEOUT)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # All three at once: each etcd member needs the others for a quorum.
        for i in range(3):
            self.start_sn(i, wait=False, log=f"sn{i + 1}-again.log")
        for sn in self.sns:
            self.assertTrue(sn.wait_for_log("Starting SWARM-API-SERVER", STEP_TIMEOUT), sn.log())
        after = self.swci(1, f"GET CONTRACT STATUS {CONTRACT}\nLIST NODES\n")
        status_of = lambda text: text[text.index("Name "):text.index("SWCI:3")]  # noqa: E731
        self.assertEqual(status_of(after), status_of(before))
        for i in range(3):
            self.assertIn(f"sl{i + 1}", after)


if __name__ == "__main__":
    given, argv = swarm_args.paths(sys.argv, ("--swarm", "--toy-ml"))
    SWARM, TOY_ML = given["--swarm"], given["--toy-ml"]
    unittest.main(argv=argv)
