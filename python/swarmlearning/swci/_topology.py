"""plotTopology's drawing: LIST NODES' rows as a graph (networkx) drawn to PNG (matplotlib)."""
import io

_SN_TYPES = ("SN", "SENTINEL")  # LIST NODES names the first SN SENTINEL
_ATTRS = {"Port": "PORT", "ContainerName": "NAME", "UUID": "UID", "parentUUID": "PARENT UID",
          "i-am-alive": "LAST I-AM-ALIVE"}


def edges(nodes):
    """Links between LIST NODES' rows, by uid: every SN with every other SN (the ledger
    network), a node to its parent (an SL to the SWOP that started it), and a node without
    a parent in the list to the SN on its host, or else to the first SN."""
    sns = [n for n in nodes if n["NODE TYPE"] in _SN_TYPES]
    uids = {n["UID"] for n in nodes}
    out = [(a["UID"], b["UID"]) for i, a in enumerate(sns) for b in sns[i + 1:]]
    for n in nodes:
        if n["NODE TYPE"] in _SN_TYPES:
            continue
        if n.get("PARENT UID") in uids:
            out.append((n["UID"], n["PARENT UID"]))
        elif sns:
            same_host = [s for s in sns if s["HOST"] == n["HOST"]]
            out.append((n["UID"], (same_host or sns)[0]["UID"]))
    return out


def graph(nodes, colours, attrs):
    """The network as a networkx graph: a vertex per node (label, colour), its links."""
    unknown = [a for a in attrs if a not in _ATTRS]
    if unknown:
        raise ValueError(f"unknown attrs {unknown}; plotTopology takes {', '.join(_ATTRS)}")
    import networkx as nx

    g = nx.Graph()
    for n in nodes:
        label = "\n".join([n["NODE TYPE"], n["HOST"]] + [f"{a}: {n.get(_ATTRS[a], '')}" for a in attrs])
        kind = "SN" if n["NODE TYPE"] in _SN_TYPES else n["NODE TYPE"]
        g.add_node(n["UID"], label=label, colour=colours.get(kind, "#DDDDDD"))
    g.add_edges_from(edges(nodes))
    return g


def draw(nodes, colours, attrs):
    g = graph(nodes, colours, attrs)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(nodes)), 6), dpi=100)
    pos = nx.spring_layout(g, seed=7) if len(g) else {}
    nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#888888")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=2600, node_color=[g.nodes[u]["colour"] for u in g],
                           edgecolors="#444444")
    nx.draw_networkx_labels(g, pos, ax=ax, labels={u: g.nodes[u]["label"] for u in g}, font_size=7)
    ax.set_title(f"Swarm network: {len(nodes)} nodes")
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
