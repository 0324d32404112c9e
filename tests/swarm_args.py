"""Shared by the Python tests of the swarm binary: each runs as
`/usr/bin/python3 TEST.py --swarm PATH_TO_SWARM [unittest args]`."""
import os
import sys


def split(argv):
    """Returns (path of swarm, argv for unittest.main without --swarm PATH)."""
    args = argv[1:]
    if "--swarm" not in args or args.index("--swarm") + 1 >= len(args):
        sys.exit(f"usage: {os.path.basename(argv[0])} --swarm PATH_TO_SWARM [unittest args]")
    i = args.index("--swarm")
    return args[i + 1], [argv[0]] + args[:i] + args[i + 2:]
