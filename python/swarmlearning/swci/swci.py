"""`Swci`: HPE's SWCI API methods over SWCI's REST API (`swarm swci --web`, docs/swci-web.md).

Each method runs one SWCI command (or a few) through the web mode and returns what SWCI
shows for it, as text; `lastResult` holds the same as data (messages, records, tables).
A failure raises `SwciError` with SWCI's own message, which `getErrors()` also returns."""
import http.client
import json
import logging
import os
import ssl
import time

DEFAULT_CONTRACT = "defaultbb.cqdb.sml.hpe"
DEFAULT_TASKRUNNER = "defaulttaskbb.taskdb.sml.hpe"
DEFAULT_SWCI_PORT = 30306
DEFAULT_SN_API_PORT = 30304

_LEVELS = {"CRITICAL": logging.CRITICAL, "ERROR": logging.ERROR, "WARNING": logging.WARNING,
           "INFO": logging.INFO, "DEBUG": logging.DEBUG}


class SwciError(Exception):
    """A failed SWCI method: `message` is SWCI's (as the prompt prints it after "ERROR: "),
    `code` its kind ("NOT_FOUND", "INVALID_ARGUMENT", ...), `status` the HTTP status
    (0 when SWCI was not reached), `command` the SWCI command that failed, if one ran."""

    def __init__(self, message, code="UNKNOWN", status=0, command=None):
        super().__init__(message)
        self.message, self.code, self.status, self.command = message, code, status, command


def _level(logLv):
    if isinstance(logLv, int):
        return logLv
    if str(logLv).upper() not in _LEVELS:
        raise SwciError(f"log level {logLv!r} is not one of {', '.join(_LEVELS)}", "INVALID_ARGUMENT")
    return _LEVELS[str(logLv).upper()]


def _ssl_context(clientCert, clientPKey, clientCABundle, log):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if clientCABundle:
        if os.path.isdir(clientCABundle):  # a --capath directory: every CA in it
            for name in sorted(os.listdir(clientCABundle)):
                path = os.path.join(clientCABundle, name)
                if os.path.isfile(path):
                    ctx.load_verify_locations(cafile=path)
        else:
            ctx.load_verify_locations(cafile=clientCABundle)
    else:
        log.warning("no clientCABundle: SWCI's certificate is not checked")
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if clientCert or clientPKey:
        if not (clientCert and clientPKey):
            raise SwciError("give clientCert and clientPKey together", "INVALID_ARGUMENT")
        ctx.load_cert_chain(certfile=clientCert, keyfile=clientPKey)
    return ctx


def _text(parts):
    """The lines of a result's data, for methods that answer a value of a record."""
    return [line for p in parts if p["type"] == "message" for line in p["lines"]]


class Swci:
    """A connection to an SWCI in web mode. SWCI takes only clients with a certificate of
    role swci from a CA it trusts (clientCert, clientPKey); clientCABundle (a CA file, or a
    capath directory) checks SWCI's own certificate."""

    def __init__(self, swciIP, port=DEFAULT_SWCI_PORT, clientCert=None, clientPKey=None, clientCABundle=None,
                 logger=None, logLv=logging.WARNING, enableCaching=True, timeout=600):
        self.host, self.port = swciIP, int(port)
        self.log = logger or logging.getLogger("swarmlearning.swci")
        self.log.setLevel(_level(logLv))
        self.enableCaching = enableCaching
        self.timeout = timeout
        self._ctx = _ssl_context(clientCert, clientPKey, clientCABundle, self.log)
        self._cache = {}
        self._error = None
        self.lastResult = []
        self.lastResponse = None

    # --- the wire ------------------------------------------------------------------------

    def _request(self, method, path, body=None):
        where = f"{self.host}:{self.port}"
        conn = http.client.HTTPSConnection(self.host, self.port, context=self._ctx, timeout=self.timeout)
        try:
            payload = None if body is None else json.dumps(body)
            conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
        except ssl.SSLError as e:
            raise self._fail(SwciError(f"TLS with SWCI at {where} failed: {e}", "UNAVAILABLE"))
        except OSError as e:
            raise self._fail(SwciError(f"cannot reach SWCI at {where}: {e}; is it running in web mode "
                                       f"(SWCI_MODE=WEB or swarm swci --web) on that port?", "UNAVAILABLE"))
        finally:
            conn.close()
        try:
            reply = json.loads(raw)
        except ValueError:
            raise self._fail(SwciError(f"SWCI at {where} answered HTTP {resp.status} without JSON", "UNKNOWN",
                                       resp.status))
        self.lastResponse = reply
        if resp.status != 200:
            err = reply.get("error", {})
            raise self._fail(SwciError(err.get("message", f"HTTP {resp.status}"), err.get("code", "UNKNOWN"),
                                       resp.status, reply.get("command")))
        self._error = None
        return reply

    def _fail(self, error):
        self._error = error.message
        self.log.error(error.message)
        return error

    def _run(self, endpoint, **params):
        """Runs one SWCI command by its endpoint name ("create-context"), returns its reply."""
        params = {k: v for k, v in params.items() if v is not None}
        reply = self._request("POST", "/v1/commands/" + endpoint, params)
        self.lastResult = reply.get("result", [])
        self.log.info(reply.get("command", endpoint))
        return reply

    def _show(self, endpoint, **params):
        return self._run(endpoint, **params)["output"].rstrip("\n")

    def _cached(self, key, endpoint, **params):
        if self.enableCaching and key in self._cache:
            return self._cache[key]
        out = self._show(endpoint, **params)
        if self.enableCaching:
            self._cache[key] = out
        return out

    def execute(self, line):
        """Runs one line as typed at SWCI's prompt; returns what SWCI shows."""
        reply = self._request("POST", "/v1/execute", {"command": line})
        self.lastResult = reply.get("result", [])
        return reply["output"].rstrip("\n")

    def commands(self):
        """The web mode's endpoints: every SWCI command with its usage and parameters."""
        return self._request("GET", "/v1/commands")["commands"]

    # --- HPE's SWCI API ------------------------------------------------------------------

    def getErrors(self):
        """The error of the previous method, or None when it succeeded."""
        return self._error

    def clearCache(self):
        self._cache.clear()

    def setLogLevel(self, logLv):
        """Sets this client's log level (CRITICAL, ERROR, WARNING, INFO, DEBUG)."""
        self.log.setLevel(_level(logLv))

    def createContext(self, ctxName, ip=None, port=DEFAULT_SN_API_PORT, service=None):
        """A context for the SN API server at ip (and port), or, behind a reverse proxy, at
        service: its FQDN, "api.sn-1.swarm" (port 443) or "api.sn-1.swarm:17000"."""
        if service is not None:
            if ip is not None:
                raise self._fail(SwciError("createContext takes ip= or service=, not both", "INVALID_ARGUMENT"))
            return self._show("create-context-with-service", contextName=ctxName, service=service)
        if ip is None:
            raise self._fail(SwciError("createContext needs ip= (the SN API server's address) or service= "
                                       "(its FQDN behind a reverse proxy)", "INVALID_ARGUMENT"))
        return self._show("create-context", contextName=ctxName, ip=ip, port=port)

    def switchContext(self, ctxName):
        return self._show("switch-context", contextName=ctxName)

    def getContextInfo(self, ctxName=None):
        return self._show("get-context-info", contextName=ctxName)

    def listContexts(self):
        return self._show("list-contexts")

    def createTrainingContract(self, ctName):
        return self._show("create-contract", TrainingContractName=ctName)

    def getTrainingContractInfo(self, ctName):
        return self._cached(("contract", ctName), "get-contract-info", TrainingContractName=ctName)

    def getTrainingContractStatus(self, ctName):
        return self._show("get-contract-status", TrainingContractName=ctName)

    def getTrainingContractPerformanceData(self, ctName=DEFAULT_CONTRACT):
        return self._show("perfdata-contract", SLContractName=ctName)

    def listTrainingContracts(self):
        return self._show("list-contracts")

    def resetTrainingContract(self, ctName=DEFAULT_CONTRACT):
        self._cache.pop(("contract", ctName), None)
        return self._show("reset-contract", TrainingContractName=ctName)

    def uploadTaskDefintion(self, taskFilePath):
        """Copies a local task definition into SWCI's current directory (HPE's spelling)."""
        try:
            with open(taskFilePath, encoding="utf-8") as f:
                content = f.read()
        except OSError as e:
            raise self._fail(SwciError(f"cannot read the task definition {taskFilePath!r}: {e.strerror}",
                                       "INVALID_ARGUMENT"))
        reply = self._request("POST", "/v1/upload", {"fileName": os.path.basename(taskFilePath), "content": content})
        return reply["output"].rstrip("\n")

    uploadTaskDefinition = uploadTaskDefintion

    def createTaskFrom(self, yamlFileName):
        return self._show("create-task-from", taskDefFile=yamlFileName)

    def registerTask(self, yamlFileName, finalize=True):
        """Creates a task from a YAML definition (a local file is uploaded first) and, with
        `finalize`, finalizes it."""
        name = yamlFileName
        if os.path.isfile(yamlFileName):
            self.uploadTaskDefintion(yamlFileName)
            name = os.path.basename(yamlFileName)
        out = self.createTaskFrom(name)
        if finalize:
            created = [line for line in _text(self.lastResult) if line.startswith("TASK CREATED : ")]
            if not created:
                raise self._fail(SwciError(f"CREATE TASK FROM {name} did not name the task it created", "UNKNOWN"))
            task = created[0][len("TASK CREATED : "):].split(" (")[0]
            out += "\n" + self.finalizeTask(task)
        return out

    def finalizeTask(self, taskName):
        return self._show("finalize-task", taskName=taskName)

    def deleteTask(self, taskName):
        self._cache.pop(("task body", taskName), None)
        return self._show("delete-task", taskName=taskName)

    def getTaskBody(self, taskName):
        return self._cached(("task body", taskName), "get-task-body", taskName=taskName)

    def getTaskInfo(self, taskName):
        return self._show("get-task-info", taskName=taskName)

    def listTasks(self):
        return self._show("list-tasks")

    def assignTask(self, taskName, trName, peersNeeded):
        return self._show("assign-task", taskName=taskName, trName=trName, peersNeeded=int(peersNeeded))

    def getTaskRunnerInfo(self, trName):
        return self._show("get-taskrunner-info", taskRunnerName=trName)

    def getTaskrunnerStatus(self, trName):
        return self._show("get-taskrunner-status", trName=trName)

    getTaskRunnerStatus = getTaskrunnerStatus

    def getTaskRunnerPeerStatus(self, trName, idx):
        return self._show("get-taskrunner-peer-status", taskRunnerName=trName, **{"swopIndex|swopUid": str(idx)})

    def listTaskRunners(self):
        return self._show("list-taskrunners")

    def resetTaskRunner(self, trName=DEFAULT_TASKRUNNER):
        return self._show("reset-taskrunner", trName=trName)

    def _taskrunner_status(self, trName):
        self._run("get-taskrunner-status", trName=trName)
        return next(p["fields"] for p in self.lastResult if p["type"] == "record")

    def isTaskDone(self, trName):
        """True once the taskrunner's current task has COMPLETED."""
        return self._taskrunner_status(trName).get("TASK STATE") == "COMPLETED"

    def executeTask(self, taskName, tr=DEFAULT_TASKRUNNER, peers=1, pollWaitInSec=120, resetTROnSuccess=True,
                    timeoutInSec=None):
        """Assigns `taskName` to `tr` with `peers` peers, looks at the taskrunner every
        `pollWaitInSec` seconds until the task COMPLETED (then resets the taskrunner when
        `resetTROnSuccess`) or FAILED (then raises, with SWCI's details). `timeoutInSec`, if
        given, ends the wait with an error saying what it waited for."""
        self.assignTask(taskName, tr, peers)
        started = time.monotonic()
        while True:
            fields = self._taskrunner_status(tr)
            status = self.lastResponse["output"].rstrip("\n")
            state = fields.get("TASK STATE")
            if fields.get("TASK NAME") != taskName:
                raise self._fail(SwciError(f"taskrunner {tr} runs task {fields.get('TASK NAME')!r}, not {taskName!r}",
                                           "ABORTED"))
            if state == "COMPLETED":
                break
            if state == "FAILED":
                raise self._fail(SwciError(f"task {taskName} FAILED on taskrunner {tr}: {fields.get('DETAILS')}",
                                           "ABORTED"))
            if timeoutInSec is not None and time.monotonic() - started > timeoutInSec:
                raise self._fail(SwciError(
                    f"task {taskName} on taskrunner {tr} is still {state} after {timeoutInSec} s (needs {peers} "
                    f"peers; {fields.get('COMPLETED PEERS')} completed, {fields.get('ACTIVE PEERS')} active)",
                    "DEADLINE_EXCEEDED"))
            self.log.info(f"task {taskName}: {state}; next look in {pollWaitInSec} s")
            time.sleep(pollWaitInSec)
        if resetTROnSuccess:
            self.resetTaskRunner(tr)
        return status

    def listNodes(self):
        return self._show("list-nodes")

    def nodes(self):
        """LIST NODES' rows as dicts by its columns ("NODE TYPE", "HOST", "PORT", ...)."""
        self._run("list-nodes")
        table = next(p for p in self.lastResult if p["type"] == "table")
        return [dict(zip(table["columns"], row)) for row in table["rows"]]

    def plotTopology(self, SNColour="#ADD8E6", SWOPColor="#33FF33", SLColor="#FFCCCB", attrs=("ContainerName",),
                     fileName=None):
        """A PNG (bytes) of the network: its SNs, SWOPs and SLs and their links, each labelled
        with its type and host and the `attrs` asked for ('Port', 'ContainerName', 'UUID',
        'parentUUID', 'i-am-alive'). Written to `fileName` too, when given."""
        from ._topology import draw  # matplotlib and networkx only when a plot is asked for
        png = draw(self.nodes(), {"SN": SNColour, "SWOP": SWOPColor, "SL": SLColor}, list(attrs))
        if fileName:
            with open(fileName, "wb") as f:
                f.write(png)
        return png

    def cd(self, dirPath):
        return self._show("cd", dirPath=dirPath)

    def ls(self, optStr=""):
        """Lists SWCI's current directory, or the directory in `optStr`; options such as -l
        are not SWCI's and are left out."""
        words = [w for w in str(optStr).split() if not w.startswith("-")]
        return self._show("ls", dir=words[0] if words else None)

    def pwd(self):
        return self._show("pwd")

    def sleep(self, time_in_sec):
        return self._show("sleep", seconds=int(time_in_sec))
