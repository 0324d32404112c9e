"""The callback's logger, in HPE Swarm Learning's format "<name> : LEVEL : message"."""
import logging

from swarmlearning import _native

FORMAT = "%(asctime)s : %(name)s : %(levelname)s : %(message)s"

_LEVELS = {
    _native.LOG_DEBUG: logging.DEBUG,
    _native.LOG_INFO: logging.INFO,
    _native.LOG_WARNING: logging.WARNING,
    _native.LOG_ERROR: logging.ERROR,
}


def default_logger(name="SwarmCallback"):
    """A logger that prints INFO and above to stderr once, however often it is asked for."""
    logger = logging.getLogger(name)
    if not getattr(logger, "_swarm_configured", False):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger._swarm_configured = True
    return logger


def sink(logger):
    """The function the C++ client calls with (level, message)."""
    return lambda level, message: logger.log(_LEVELS.get(level, logging.INFO), message)
