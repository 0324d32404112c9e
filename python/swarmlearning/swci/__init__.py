"""The Python client of SWCI's web mode, with HPE's names:

    import swarmlearning.swci as sw
    s = sw.Swci("swci-host", port=30306, clientCert=..., clientPKey=..., clientCABundle=...)
    print(s.createContext("c", ip="sn-host"))

or `from swarmlearning.swci import swci; swci.Swci(...)`."""
from . import swci
from .swci import DEFAULT_CONTRACT, DEFAULT_TASKRUNNER, Swci, SwciError

__all__ = ["Swci", "SwciError", "DEFAULT_CONTRACT", "DEFAULT_TASKRUNNER", "swci"]
