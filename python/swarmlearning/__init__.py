"""Swarm Learning for ML programs: train one model with peers, exchanging only parameters.

    from swarmlearning.pyt import SwarmCallback   # PyTorch

The callback talks to its SL node (`swarm sl`) over the Unix socket named by
SWARM_SL_SOCKET; with SWARM_LOOPBACK=TRUE it only checks its parameters.
"""
from swarmlearning._native import SwarmError  # noqa: F401

__all__ = ["SwarmError"]
