"""Shared by the Python tests of the swarm binary: each runs as
`/usr/bin/python3 TEST.py --swarm PATH_TO_SWARM [--toy-ml PATH ...] [unittest args]`."""
import os
import sys


def split(argv):
    """Returns (path of swarm, argv for unittest.main without --swarm PATH)."""
    args = argv[1:]
    if "--swarm" not in args or args.index("--swarm") + 1 >= len(args):
        sys.exit(f"usage: {os.path.basename(argv[0])} --swarm PATH_TO_SWARM [unittest args]")
    i = args.index("--swarm")
    return args[i + 1], [argv[0]] + args[:i] + args[i + 2:]


def paths(argv, flags):
    """Returns ({flag: absolute path} for each of `flags`, e.g. ("--swarm", "--toy-ml"), and
    argv for unittest.main without them); exits with the usage when one is missing."""
    found, rest, i = {}, argv[:1], 1
    while i < len(argv):
        if argv[i] in flags and i + 1 < len(argv):
            found[argv[i]] = os.path.abspath(argv[i + 1])
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    if len(found) != len(flags):
        usage = " ".join(f"{f} PATH" for f in flags)
        sys.exit(f"usage: {os.path.basename(argv[0])} {usage} [unittest args]")
    return found, rest
