"""`swarm ui` in a real headless Chromium during a real 3-node training: a sentinel SN, three
SLs running toy_ml, and the UI with its own swci certificate. The page lists the three SLs,
their progress bars advance, the loss chart gains points, the topology links the SN to each
SL, the rounds timeline grows, and the Ledger page replays the chain. A screenshot of each
page goes to --out and must not be blank. Without the token the write actions are refused,
and a non-loopback listen without HTTPS or a token does not start.

Run: /usr/bin/python3 ui_test.py --swarm PATH --toy-ml PATH --out DIR
"""
import importlib.util
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from support.swarm_net import Process, SwarmNet, free_port  # noqa: E402

SWARM = TOY_ML = OUT = None
TOKEN = "ui-test-token-0123456789"


def request(url, method="GET", body=None, token=None, context=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class UiTest(unittest.TestCase):
    def setUp(self):
        for module, package in (("selenium", "python3-selenium"), ("PIL", "python3-pil")):
            if importlib.util.find_spec(module) is None:
                self.fail(f"{package} is needed (scripts/setup installs it)")
        for program in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
            if not os.access(program, os.X_OK):
                self.fail(f"{program} is needed: chromium and chromium-driver (scripts/setup installs them)")
        self.root = tempfile.mkdtemp(prefix="swarm-ui-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.net = SwarmNet(SWARM, self.root, hosts=3)
        self.addCleanup(self.net.stop)
        self.net.start_sentinel()
        os.makedirs(OUT, exist_ok=True)

    def start_ui(self, *extra, wait=True):
        self.port = free_port()
        args = [SWARM, "ui", "--sn-ip", "127.0.0.1", "--sn-api-port", str(self.net.sn_api), "--port",
                str(self.port)] + self.net.tls("swci", 1) + list(extra)
        ui = Process(args, os.path.join(self.root, f"ui-{self.port}.log"))
        self.net.procs.append(ui)
        if wait:
            self.assertTrue(ui.wait_for_log("Swarm UI: open", timeout=30), ui.log())
        return ui

    def browser(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        o = Options()
        o.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100",
                  f"--user-data-dir={tempfile.mkdtemp(dir=self.root)}"):
            o.add_argument(a)
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        self.addCleanup(d.quit)
        return d

    def shot(self, d, name):
        """A screenshot of the page, written to OUT, that is not one colour."""
        from PIL import Image
        png = d.get_screenshot_as_png()
        with open(os.path.join(OUT, f"ui-{name}.png"), "wb") as f:
            f.write(png)
        img = Image.open(io.BytesIO(png)).convert("RGB")
        self.assertGreater(len(img.getcolors(maxcolors=1 << 20) or []), 20, f"the {name} page looks blank")

    def until(self, d, condition, what, timeout=60):
        from selenium.common.exceptions import JavascriptException
        deadline = time.time() + timeout
        error = ""
        while time.time() < deadline:
            try:
                value = d.execute_script(condition)
            except JavascriptException as e:  # what it looks at is not drawn yet
                value, error = None, e.msg
            if value:
                return value
            time.sleep(0.5)
        self.fail(f"waited {timeout} s for {what} {error}")

    def page(self, d, name):
        d.find_element("css selector", f'#tabs a[data-page="{name}"]').click()
        time.sleep(1.5)  # a poll or two

    def test_the_pages_follow_a_three_node_training(self):
        sls = []
        for i in (1, 2, 3):
            env = {"TOY_SEED": str(i), "TOY_MIN_PEERS": "3", "TOY_EPOCHS": "25", "TOY_BATCHES": "10",
                   "TOY_BATCH_MS": "100", "TOY_OUT": os.path.join(self.root, f"model-{i}.txt")}
            sls.append(self.net.start_sl(i, f"sl{i}", [TOY_ML], env))
        self.start_ui("--token", TOKEN)
        d = self.browser()
        d.get(f"http://127.0.0.1:{self.port}/?token={TOKEN}")
        self.assertEqual(d.title, "Swarm")
        self.assertNotIn("token", d.current_url, "the token leaves the address bar once kept")
        self.until(d, "return document.querySelector('#card-sl .display-6').textContent === '3'", "3 SLs alive")
        self.shot(d, "overview")

        self.page(d, "training")
        self.until(d, "return document.querySelectorAll('tr.sl-row').length === 3", "a row per SL")
        names = d.execute_script("return [...document.querySelectorAll('tr.sl-row td:first-child')]"
                                 ".map(e => e.textContent).sort()")
        self.assertEqual(names, ["sl1", "sl2", "sl3"])
        progress = ("return [...document.querySelectorAll('tr.sl-row .progress-bar')]"
                    ".reduce((s, e) => s + Number(e.getAttribute('aria-valuenow')), 0)")
        points = ("const c = Chart.getChart(document.querySelector('canvas[id^=curves-]'));"
                  "return c ? c.data.datasets.reduce((s, d) => s + d.data.length, 0) : 0")
        rounds = "return document.querySelectorAll('tr.round-row').length"
        first = [self.until(d, q, what) for q, what in
                 ((progress, "epochs done"), (points, "points on the loss chart"), (rounds, "a merged round"))]
        title = d.execute_script("return document.querySelector('tr.sl-row .progress').title")
        self.assertRegex(title, r"^\d+ / 25 epochs$")
        for q, before, what in zip((progress, points, rounds), first, ("progress", "chart points", "rounds")):
            self.until(d, f"return (function() {{ {q} }})() > {before}", f"more {what} than {before}")
        self.shot(d, "training")

        self.page(d, "topology")
        links = self.until(d, "const sl = [...document.querySelectorAll('.topo-SL')].map(e => e.dataset.uid);"
                              "const sn = document.querySelector('.topo-SN').dataset.uid;"
                              "const l = [...document.querySelectorAll('line.sn-sl')]"
                              ".filter(e => e.dataset.from === sn && sl.includes(e.dataset.to));"
                              "return sl.length === 3 ? l.length : 0", "SN-SL links")
        self.assertEqual(links, 3)
        self.shot(d, "topology")

        self.page(d, "tasks")
        self.until(d, "return !document.getElementById('write-actions').classList.contains('d-none')",
                   "the write actions for the token holder")
        self.until(d, "return document.querySelectorAll('.taskrunner').length >= 1", "the default taskrunner")
        # A write action from the page: an SWCI command with SWCI's answer.
        d.find_element("css selector", "#form-reset button").click()
        out = self.until(d, "return document.getElementById('action-output').textContent", "the action's output")
        self.assertIn("TASKRUNNER RESET : defaulttaskbb.taskdb.sml.hpe", out)
        self.shot(d, "tasks")

        self.page(d, "ledger")
        self.until(d, "return document.querySelectorAll('tr.block-row').length > 5", "the newest blocks")
        self.assertIn("check_in", d.find_element("id", "block-table").text)
        d.find_element("css selector", "button.verify").click()
        result = self.until(d, "const r = document.querySelector('.verify-result').textContent;"
                               "return r.startsWith('ok') ? r : ''", "the verify result")
        self.assertRegex(result, r"^ok: \d+ blocks replayed")
        self.shot(d, "ledger")

        # Without the token: the reads, not the write actions; the page says so.
        d2 = self.browser()
        d2.get(f"http://127.0.0.1:{self.port}/#tasks")
        self.until(d2, "return document.getElementById('read-only-note').textContent.startsWith('Read only')",
                   "the read-only note")
        status, body = request(f"http://127.0.0.1:{self.port}/api/swci/commands/reset-taskrunner", "POST",
                               json.dumps({"trName": "defaulttaskbb.taskdb.sml.hpe"}))
        self.assertEqual(status, 401)
        self.assertIn("need the UI's access token", body["error"]["message"])

        for sl in sls:
            self.assertEqual(sl.wait(180), 0, sl.log()[-3000:])
        # Finished nodes stay, marked done.
        self.page(d, "training")
        self.until(d, "return [...document.querySelectorAll('tr.sl-row')].filter(r => r.classList.contains('done'))"
                      ".length === 3", "three rows marked done")

    def test_a_non_loopback_listen_needs_https_and_a_token(self):
        ui = self.start_ui("--host", "0.0.0.0", "--no-token", wait=False)
        self.assertNotEqual(ui.wait(30), 0)
        self.assertIn("needs an access token", ui.log())
        self.start_ui("--host", "0.0.0.0", "--token", TOKEN)
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        status, body = request(f"https://127.0.0.1:{self.port}/api/state", context=insecure)
        self.assertEqual(status, 401)
        self.assertIn("needs its access token", body["error"]["message"])
        status, body = request(f"https://127.0.0.1:{self.port}/api/state", token=TOKEN, context=insecure)
        self.assertEqual(status, 200)
        with self.assertRaises((urllib.error.URLError, ConnectionError)):  # HTTPS only
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10)
        # A certificate of another role is refused at start.
        bad = [SWARM, "ui", "--port", str(free_port())] + self.net.tls("sl", 1)
        r = subprocess.run(bad, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("needs a certificate of role swci", r.stderr)


if __name__ == "__main__":
    argv = [sys.argv[0]]
    args = iter(sys.argv[1:])
    for a in args:
        if a == "--swarm":
            SWARM = os.path.abspath(next(args))
        elif a == "--toy-ml":
            TOY_ML = os.path.abspath(next(args))
        elif a == "--out":
            OUT = os.path.abspath(next(args))
        else:
            argv.append(a)
    OUT = OUT or tempfile.mkdtemp(prefix="swarm-ui-shots-")
    unittest.main(argv=argv, verbosity=2)
