"""A traced model's graph as an SVG diagram, laid out on the server (no script, no library, no CDN).

A simple layered layout: the model's inputs on the first row, every node one row below the lowest of
the nodes it is connected to (its longest path from an input), nodes in a row ordered by where their
inputs sit (the barycenter heuristic, one sweep down), edges as curves from a node to each user.
Every text is escaped; the markup is ours. The engine bounds the nodes (1,000), so the diagram is bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

NODE_WIDTH = 240
NODE_HEIGHT = 46
GAP_X = 26
GAP_Y = 34
MARGIN = 12
MAX_EDGES = 4000  # more connections than this are not drawn: the diagram would be megabytes and unreadable
MAX_LABEL = 28  # characters of one line of a box (the full text is in the box's <title>)


@dataclass
class Box:
    """One node of the diagram: a model input or a node of the trace."""

    key: str
    title: str
    kind: str
    shape: str
    parents: list[str]
    href: str | None = None
    classes: list[str] = field(default_factory=list)
    rank: int = 0
    x: float = 0.0
    y: float = 0.0


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _node_of(ref: str) -> str:
    """A node's k-th output is named "name:k"; the edge starts at the node."""
    return ref.rsplit(":", 1)[0] if ref.rsplit(":", 1)[-1].isdigit() else ref


def boxes_of(answer: dict, link: Callable[[dict], str | None] | None = None) -> list[Box]:
    """The diagram's boxes, in call order: the inputs, then every traced node."""
    boxes = [
        Box(key=item["name"], title=item["name"], kind="Input", shape=_shape_text(item["shape"]), parents=[])
        for item in answer.get("inputs") or []
    ]
    outputs = {_node_of(o["name"]) for o in answer.get("outputs") or []}
    for step in answer.get("layers") or []:
        box = Box(
            key=step["name"],
            title=step["name"],
            kind=step["layer"],
            shape=_shape_text(step.get("output_shape")),
            parents=list(dict.fromkeys(_node_of(ref) for ref in step.get("inputs") or [])),
            href=link(step) if link else None,
        )
        if step["name"] in outputs:
            box.classes.append("node-output")
        if step.get("kind") == "op":
            box.classes.append("node-op")
        boxes.append(box)
    return boxes


def layout(boxes: list[Box]) -> tuple[float, float]:
    """Place the boxes in rows (longest path from an input); returns the diagram's width and height."""
    by_key = {b.key: b for b in boxes}
    rows: dict[int, list[Box]] = {}
    for box in boxes:  # call order: a node's inputs come before it
        known = [by_key[p].rank for p in box.parents if p in by_key and by_key[p] is not box]
        box.rank = (max(known) + 1) if known else (0 if box.kind == "Input" or not box.parents else 1)
        rows.setdefault(box.rank, []).append(box)
    order: dict[str, float] = {}
    width = 0.0
    for rank in sorted(rows):
        row = rows[rank]
        position = {id(b): n for n, b in enumerate(row)}

        def barycenter(box: Box, position=position) -> tuple[float, int]:
            seen = [order[p] for p in box.parents if p in order]
            return (sum(seen) / len(seen) if seen else float(position[id(box)]), position[id(box)])

        row.sort(key=barycenter)
        for n, box in enumerate(row):
            order[box.key] = float(n)
            box.x = MARGIN + n * (NODE_WIDTH + GAP_X)
            box.y = MARGIN + rank * (NODE_HEIGHT + GAP_Y)
        width = max(width, MARGIN * 2 + len(row) * (NODE_WIDTH + GAP_X) - GAP_X)
    # Rows narrower than the widest are centred under it.
    for row in rows.values():
        used = len(row) * (NODE_WIDTH + GAP_X) - GAP_X
        shift = (width - MARGIN * 2 - used) / 2
        for box in row:
            box.x += shift
    height = MARGIN * 2 + (max(rows) + 1 if rows else 0) * (NODE_HEIGHT + GAP_Y) - GAP_Y
    return width, height


LANE_GAP = 10  # between the lanes of edges that skip rows


def _edge(parent: Box, child: Box) -> str:
    """A curve from a node to the next row; an edge that skips rows would cross their boxes, see _lane_edge."""
    x1, y1 = parent.x + NODE_WIDTH / 2, parent.y + NODE_HEIGHT
    x2, y2 = child.x + NODE_WIDTH / 2, child.y - 2
    bend = GAP_Y / 2
    return (
        f'<path class="edge" d="M{x1:.1f} {y1:.1f} C{x1:.1f} {y1 + bend:.1f} {x2:.1f} {y2 - bend:.1f} '
        f'{x2:.1f} {y2:.1f}" marker-end="url(#arrow)"/>'
    )


def _lane_edge(parent: Box, child: Box, lane: float) -> str:
    """An edge that skips rows: out of the parent's right side, down a lane right of the rows between, into the child."""
    x1, y1 = parent.x + NODE_WIDTH, parent.y + NODE_HEIGHT / 2
    x2, y2 = child.x + NODE_WIDTH + 2, child.y + NODE_HEIGHT / 2
    return (
        f'<path class="edge edge-skip" d="M{x1:.1f} {y1:.1f} L{lane - 6:.1f} {y1:.1f} Q{lane:.1f} {y1:.1f} '
        f"{lane:.1f} {y1 + 6:.1f} L{lane:.1f} {y2 - 6:.1f} Q{lane:.1f} {y2:.1f} {lane - 6:.1f} {y2:.1f} "
        f'L{x2:.1f} {y2:.1f}" marker-end="url(#arrow)"/>'
    )


def edges(boxes: list[Box]) -> tuple[list[str], float]:
    """Every connection as a path, and the rightmost x the lanes of skipping edges use."""
    by_key = {b.key: b for b in boxes}
    right_of_rank: dict[int, float] = {}
    for box in boxes:
        right_of_rank[box.rank] = max(right_of_rank.get(box.rank, 0.0), box.x + NODE_WIDTH)
    paths, rightmost = [], 0.0
    lanes: list[list[tuple[int, int]]] = []  # the row spans each lane already carries
    for box in boxes:
        for key in box.parents:
            parent = by_key.get(key)
            if parent is None or parent is box:
                continue
            if box.rank - parent.rank <= 1:
                paths.append(_edge(parent, box))
                continue
            span = (parent.rank, box.rank)
            # the first lane free over these rows (interval colouring, so lanes are reused down the graph)
            slot = next(
                (n for n, used in enumerate(lanes) if all(span[1] <= a or b <= span[0] for a, b in used)), len(lanes)
            )
            if slot == len(lanes):
                lanes.append([])
            lanes[slot].append(span)
            between = max(right_of_rank.get(r, 0.0) for r in range(parent.rank, box.rank + 1))
            lane = between + LANE_GAP * (slot + 1) + 4
            rightmost = max(rightmost, lane)
            paths.append(_lane_edge(parent, box, lane))
    return paths, rightmost


def _box(box: Box) -> str:
    classes = " ".join(["node", *box.classes, "node-input" if box.kind == "Input" else ""]).strip()
    full = f"{box.title} ({box.kind}) → {box.shape}"
    first = _clip(f"{box.title} · {box.kind}" if box.title != box.kind else box.kind)
    body = (
        f'<g class="{classes}" data-node="{escape(box.key)}"><title>{escape(full)}</title>'
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6"/>'
        f'<text x="{box.x + 10:.1f}" y="{box.y + 19:.1f}" class="node-name">{escape(first)}</text>'
        f'<text x="{box.x + 10:.1f}" y="{box.y + 37:.1f}" class="node-shape">{escape(_clip(box.shape))}</text></g>'
    )
    if box.href:
        return f'<a href="{escape(box.href)}">{body}</a>'
    return body


def connections(answer: dict) -> int:
    """How many arrows the diagram of an answer has (a node's inputs, each once)."""
    return sum(len(set(map(_node_of, step.get("inputs") or []))) for step in answer.get("layers") or [])


def diagram(
    answer: dict, link: Callable[[dict], str | None] | None = None, label: str = "The model's graph"
) -> Markup | None:
    """The SVG of a trace answer (engine.trace_code): boxes for the inputs and nodes, arrows for the connections.

    None when the graph has more than MAX_EDGES connections (the engine bounds the nodes, not their inputs).
    """
    if connections(answer) > MAX_EDGES:
        return None
    boxes = boxes_of(answer, link)
    width, height = layout(boxes)
    paths, rightmost = edges(boxes)
    width = max(width, rightmost + MARGIN)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph-diagram" role="img" aria-labelledby="graph-title" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">',
        f'<title id="graph-title">{escape(label)}: {len(boxes)} boxes, {len(paths)} connections</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead"/></marker></defs>',
        *paths,
        *(_box(b) for b in boxes),
        "</svg>",
    ]
    return Markup("".join(parts))
