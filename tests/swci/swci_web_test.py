"""SWCI's web mode and the Python `Swci` API end to end: a real sentinel SN, `swarm swci
--web` with its own certificate, a SWOP that runs RUN_SWARM pairs (toy_ml), and
`swarmlearning.swci.Swci` calling every method of HPE's SWCI API table once; executeTask
drives the task from assignment to reset. Bad input (no client certificate, another role,
an unknown endpoint, malformed JSON) gets a JSON error and changes nothing.

Run: /usr/bin/python3 swci_web_test.py --swarm PATH --toy-ml PATH --pythonpath DIR
"""
import http.client
import json
import os
import ssl
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "swop"))
import swop_test  # noqa: E402  (its fixture: SN, profiles, task files, SWOP processes)
from support.swarm_net import Process, free_port  # noqa: E402

sw = None  # swarmlearning.swci, imported once the path is known
TR = swop_test.TR


class SwciWebTest(swop_test.SwopTest):
    def setUp(self):
        super().setUp()
        self.web_port = free_port()
        args = [swop_test.SWARM, "swci", "--web", "--web-host", "127.0.0.1", "--web-port", str(self.web_port),
                "--usr-dir", self.usr] + self.net.tls("swci", 1)
        self.swci = Process(args, os.path.join(self.root, "swci-web.log"))
        self.net.procs.append(self.swci)
        self.assertTrue(self.swci.wait_for_log("SWCI web mode: the SWCI API is at", timeout=30), self.swci.log())

    def client(self, role="swci", **kw):
        cert = self.net.cert
        if role is None:
            return sw.Swci("127.0.0.1", port=self.web_port, clientCABundle=cert("ca/capath"), **kw)
        return sw.Swci("127.0.0.1", port=self.web_port, clientCert=cert(f"{role}-1-cert.pem"),
                       clientPKey=cert(f"{role}-1-key.pem"), clientCABundle=cert("ca/capath"), **kw)

    def raw(self, method, path, body):
        ctx = ssl.create_default_context(cafile=os.path.join(self.net.cert("ca/capath"), "ca-1-cert.pem"))
        ctx.load_cert_chain(self.net.cert("swci-1-cert.pem"), self.net.cert("swci-1-key.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.web_port, context=ctx, timeout=30)
        conn.request(method, path, body=body)
        r = conn.getresponse()
        out = r.status, json.loads(r.read())
        conn.close()
        return out

    def test_every_method_of_the_api_and_execute_task_through_a_swop(self):
        swop = self.start_swop(self.profile())
        self.task()
        s = self.client(logLv="INFO")
        sn = self.net.sn_api
        self.assertIn("CONTEXT CREATED : c", s.createContext("c", ip="127.0.0.1", port=sn))
        # By a service name (the SN's certificate names localhost), as behind a reverse proxy.
        self.assertIn("CONTEXT CREATED : rp", s.createContext("rp", service="localhost:%d" % sn))
        self.assertIn("localhost", s.getContextInfo("rp"))
        with self.assertRaises(Exception) as bad:
            s.createContext("rp2", service="127.0.0.1:%d" % sn)
        self.assertIn("is an IP address, not a service name", str(bad.exception))
        self.assertIn("DEFAULT CONTEXT SET TO : c", s.switchContext("c"))
        self.assertIsNone(s.getErrors())
        self.assertIn("127.0.0.1", s.getContextInfo())
        self.assertIn("c", s.listContexts())
        self.assertIn("contract", s.createTrainingContract("webct").lower())
        self.assertIn("webct", s.getTrainingContractInfo("webct"))
        self.assertIn("webct", s.getTrainingContractInfo("webct"))  # from the cache
        s.clearCache()
        s.getTrainingContractStatus("webct")
        s.getTrainingContractPerformanceData("webct")
        self.assertIn("webct", s.listTrainingContracts())
        s.resetTrainingContract("webct")
        # Task definitions: upload, create, finalize; a second one registered in one call.
        self.assertIn("FILE UPLOADED", s.uploadTaskDefintion(os.path.join(self.usr, "taskdefs", "toy_task.yaml")))
        self.assertIn("TASK CREATED : toy_task", s.createTaskFrom("toy_task.yaml"))
        s.finalizeTask("toy_task")
        self.task(name="other_task")
        out = s.registerTask(os.path.join(self.usr, "taskdefs", "other_task.yaml"))
        self.assertIn("TASK CREATED : other_task", out)
        self.task(name="draft_task")
        s.registerTask(os.path.join(self.usr, "taskdefs", "draft_task.yaml"), finalize=False)
        s.deleteTask("draft_task")
        self.assertIn("RUN_SWARM", s.getTaskInfo("toy_task"))
        self.assertIn("Command", s.getTaskBody("toy_task"))
        self.assertIn("toy_task", s.listTasks())
        self.assertNotIn("draft_task", s.listTasks())
        self.assertIn(TR, s.listTaskRunners())
        s.getTaskRunnerInfo(TR)
        # executeTask: assign, look until COMPLETED, reset the taskrunner.
        status = s.executeTask("toy_task", tr=TR, peers=2, pollWaitInSec=1, timeoutInSec=180)
        self.assertIn("COMPLETED", status, swop.log())
        self.assertEqual(self.params(1), self.params(2))
        self.assertIn("Empty", s.getTaskrunnerStatus(TR))  # reset after success
        self.assertFalse(s.isTaskDone(TR))
        s.resetTrainingContract()  # the task's training finished: the next one trains anew
        # assignTask and isTaskDone by hand, then the peer's status.
        s.assignTask("other_task", TR, 2)
        deadline = swop_test.time.time() + 180
        while not s.isTaskDone(TR) and swop_test.time.time() < deadline:
            swop_test.time.sleep(1)
        self.assertTrue(s.isTaskDone(TR), s.getTaskrunnerStatus(TR) + swop.log())
        self.assertIn("COMPLETED", s.getTaskRunnerPeerStatus(TR, 0))
        s.resetTaskRunner(TR)
        # Nodes and the topology: a node per row of listNodes in the plot.
        listed = s.listNodes()
        nodes = s.nodes()
        self.assertEqual(len(nodes), len(listed.splitlines()) - 1)
        types = {n["NODE TYPE"] for n in nodes}
        self.assertLessEqual({"SENTINEL", "SWOP", "SL"}, types)  # the SLs of the tasks stay listed
        self.assertLessEqual(types, {"SENTINEL", "SN", "SWOP", "SL"})
        png_path = os.path.join(self.root, "topology.png")
        png = s.plotTopology(attrs=["Port", "UUID"], fileName=png_path)
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        import matplotlib.image
        pixels = matplotlib.image.imread(png_path)
        self.assertGreater(pixels.shape[0] * pixels.shape[1], 10000)
        self.assertGreater(len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}), 3)  # not blank
        from swarmlearning.swci import _topology
        self.assertEqual(len(_topology.graph(nodes, {}, [])), len(nodes))
        # The shell methods.
        self.assertEqual(s.pwd(), os.path.realpath(self.usr))
        s.cd("taskdefs")
        self.assertIn("toy_task.yaml", s.ls())
        self.assertIn("toy_task.yaml", s.ls("-l ."))
        s.sleep(0)
        s.setLogLevel("ERROR")
        with self.assertRaises(sw.SwciError):
            s.setLogLevel("LOUD")
        # A failure raises with SWCI's words, and getErrors says them again.
        with self.assertRaises(sw.SwciError) as e:
            s.getTaskInfo("no_such_task")
        self.assertEqual(e.exception.status, 404)
        self.assertIn("no_such_task", e.exception.message)
        self.assertEqual(s.getErrors(), e.exception.message)

    def test_bad_requests_get_json_errors_and_change_nothing(self):
        s = self.client()
        s.createContext("c", ip="127.0.0.1", port=self.net.sn_api)
        count = s.lastResponse["count"]
        # No client certificate, and a certificate of another role.
        for who, status, words in [(None, 401, "no client certificate was presented"),
                                   ("sl", 403, "has role sl")]:
            with self.assertRaises(sw.SwciError) as e:
                self.client(role=who).listContexts()
            self.assertEqual(e.exception.status, status)
            self.assertIn(words, e.exception.message)
        # An unknown endpoint, malformed JSON, an unknown parameter.
        status, body = self.raw("POST", "/v1/commands/launch-rocket", "{}")
        self.assertEqual(status, 404)
        self.assertIn("GET /v1/commands lists them", body["error"]["message"])
        status, body = self.raw("POST", "/v1/commands/create-context", '{"contextName": "d", ')
        self.assertEqual(status, 400)
        self.assertIn("not valid JSON", body["error"]["message"])
        status, body = self.raw("POST", "/v1/commands/create-context", '{"contextName": "d", "ip": "h", "x": 1}')
        self.assertEqual(status, 400)
        self.assertIn("unknown parameter 'x'", body["error"]["message"])
        # None of it ran a command or made a context.
        s.listContexts()
        self.assertEqual(s.lastResponse["count"], count + 1)
        self.assertNotIn("d", s.listContexts().split())
        # SWCI not there: a clear error naming the address.
        gone = sw.Swci("127.0.0.1", port=free_port(), clientCert=self.net.cert("swci-1-cert.pem"),
                       clientPKey=self.net.cert("swci-1-key.pem"))
        with self.assertRaises(sw.SwciError) as e:
            gone.listNodes()
        self.assertIn("cannot reach SWCI at 127.0.0.1:", e.exception.message)


if __name__ == "__main__":
    argv = sys.argv[:1]
    i = 1
    while i < len(sys.argv):
        if sys.argv[i] in ("--swarm", "--toy-ml", "--pythonpath"):
            value = os.path.abspath(sys.argv[i + 1])
            if sys.argv[i] == "--swarm":
                swop_test.SWARM = value
            elif sys.argv[i] == "--toy-ml":
                swop_test.TOY_ML = value
            else:
                sys.path.insert(0, value)
            i += 2
        else:
            argv.append(sys.argv[i])
            i += 1
    import swarmlearning.swci as sw  # noqa: E402
    # Only this file's tests, not the SWOP tests its fixture comes with.
    names = [n for n in SwciWebTest.__dict__ if n.startswith("test_")]
    selected = [a for a in argv[1:] if not a.startswith("-")]
    suite = unittest.TestSuite(SwciWebTest(n) for n in names if not selected or any(k in n for k in selected))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
