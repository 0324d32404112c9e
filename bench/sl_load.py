"""Many SLs on one SN: N `swarm sl` processes, each running toy_ml, train together through one
`swarm sn`. Prints JSON: how long the training took, how many rounds merged and how many
participants the largest had, whether every SL's lease held (the fewest members alive in
any sample taken while all N were in and none had finished), and the peak RSS of the SN
and its etcd member and of one SL.

Run: /usr/bin/python3 bench/sl_load.py --swarm build/src/cli/swarm --toy-ml build/tests/toy_ml --sls 256
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from support.swarm_net import SwarmNet, descendants  # noqa: E402

CONTRACT = "defaultbb.cqdb.sml.hpe"


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--swarm", required=True)
    p.add_argument("--toy-ml", required=True)
    p.add_argument("--sls", type=int, default=64)
    p.add_argument("--min-peers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=1800)
    p.add_argument("--keep", action="store_true", help="keep the nodes' data dirs and logs (printed as 'root')")
    a = p.parse_args()
    root = tempfile.mkdtemp(prefix="swarm-load-")
    net = SwarmNet(os.path.abspath(a.swarm), root, hosts=1)
    try:
        sn = net.start_sentinel()
        start = time.monotonic()
        sls = []
        for i in range(a.sls):
            env = {"TOY_SEED": str(i % 7 + 1), "TOY_MIN_PEERS": str(a.min_peers), "TOY_EPOCHS": str(a.epochs),
                   "TOY_OUT": os.path.join(root, f"model-{i}.txt")}
            sls.append(net.start_sl(1, f"sl{i}", [os.path.abspath(a.toy_ml)], env))
        started = time.monotonic() - start
        swci = [os.path.abspath(a.swarm), "swci"] + net.tls("swci", 1)
        script = (f"CREATE CONTEXT c WITH IP 127.0.0.1 {net.sn_api}\nSWITCH CONTEXT c\n"
                  f"GET CONTRACT STATUS {CONTRACT}\nEXIT\n")
        samples, sn_peak, etcd_peak, sl_peak = [], 0, 0, 0
        etcd = [q for q in descendants(sn.popen.pid)]
        while any(s.popen.poll() is None for s in sls) and time.monotonic() - start < a.timeout:
            r = subprocess.run(swci, input=script, capture_output=True, text=True, timeout=120)
            m = re.search(r"Members +: (\d+) \((\d+) finished, (\d+) alive\)", r.stdout)
            if m:
                samples.append(tuple(int(x) for x in m.groups()))
            sn_peak = max(sn_peak, rss_kib(sn.popen.pid))
            etcd_peak = max(etcd_peak, sum(rss_kib(q) for q in etcd))
            sl_peak = max(sl_peak, rss_kib(sls[0].popen.pid))
            time.sleep(2)
        took = time.monotonic() - start
        codes = [s.popen.poll() for s in sls]
        finals = set()
        for i in range(a.sls):
            try:
                with open(os.path.join(root, f"model-{i}.txt")) as f:
                    finals.add(f.read())
            except OSError:
                pass
        rounds, widest = 0, 0
        for s in sls:
            for n, k in re.findall(r"leading the merge of round (\d+) \((\d+) participants\)", s.log()):
                rounds, widest = max(rounds, int(n)), max(widest, int(k))
        # Why each SL that failed did: the last lines of its log.
        failures = [{"sl": f"sl{i}", "exit": c, "log_tail": s.log().strip().splitlines()[-6:]}
                    for i, (s, c) in enumerate(zip(sls, codes)) if c not in (0, None)]
        full = [alive for members, finished, alive in samples if members == a.sls and finished == 0]
        print(json.dumps({
            "sls": a.sls, "min_peers": a.min_peers, "epochs": a.epochs,
            "seconds_to_start_all": round(started, 1), "seconds_total": round(took, 1),
            "exited_ok": codes.count(0), "exit_codes_other": sorted(c for c in codes if c != 0 and c is not None),
            "still_running": codes.count(None), "distinct_final_models": len(finals),
            "rounds_merged": rounds, "largest_round_participants": widest,
            "samples_with_all_members_in": len(full), "fewest_alive_in_those": min(full, default=None),
            "sn_peak_rss_mib": round(sn_peak / 1024, 1), "etcd_peak_rss_mib": round(etcd_peak / 1024, 1),
            "one_sl_peak_rss_mib": round(sl_peak / 1024, 1),
            "failures": failures[:5],
        }, indent=2))
    finally:
        net.stop()
        if a.keep:
            print(json.dumps({"root": root}))
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
