"""Where the computational graph's gates, edges and labels go (plain data; the templates draw it).

A layered (Sugiyama) drawing, written for this figure: every edge label is an item of its own in
the layering, as Graphviz ``dot`` does it, so labels never overlap and no edge crosses one.

* Ranks: a gate sits one rank after its last argument, an input just before its first reader.
* Levels: rank ``r``'s gates are level ``2r``; the labels of the edges into them (forward value
  and gradient) are level ``2r - 1``; an edge spanning more levels gets a thin pass-through item
  on each, so an edge is a chain of items, one per level.
* Every level is a *band* across the figure; its items stand side by side along the band (the
  *order axis*) without overlapping. All text is inside a band; between two bands there is only
  the straight segments from one band's items to the next band's. Inside a band an edge runs
  straight along the rank axis at its item's position. So no segment can touch another item's
  text: the drawing is collision-free by construction, and ``tests/test_figures.py`` checks it
  from the SVG anyway.
* Small graphs are drawn left to right (the cs231n picture); when that is wider than the column
  the ranks go top to bottom, and a rank whose labels would not fit the column's width is split
  over more ranks (the figure grows taller, never wider).

Everything is deterministic (ties are broken by the topological order), so the gallery is the
same bytes on every machine; no layout library or Graphviz is needed.
"""

from dataclasses import dataclass, field

COLUMN_WIDTH = 820          # px: the widest figure a blog column shows at full size
MARGIN = 14
LEGEND_H = 46               # room for the legend above the drawing
BOX_H = 30
GLYPH_CHAR_W = 8.6          # one gate glyph character at 15px (estimate, generous)
NAME_CHAR_W = 7.0           # one node-name character at 12px italic
LABEL_CHAR_W = 8.4          # one edge-label character at 12px bold (DejaVu Sans Bold: 0.70 em)
INPUT_CHAR_W = 9.6          # one input-name character at 15px italic
LABEL_LINE = 14             # px between the value's and the gradient's baselines
ITEM_GAP = 12               # px between neighbouring items of a level
THIN_GAP = 7                # px between two pass-through lines
SWEEPS = 6


@dataclass
class Box:
    name: str
    is_input: bool
    glyph: str
    x: float          # centre (an input: where its edges start)
    y: float
    w: float
    h: float
    name_x: float = 0.0       # where the node's name is written
    name_y: float = 0.0
    name_anchor: str = "middle"


@dataclass
class Edge:
    source: str
    target: str               # "" for the output's edge
    x1: float                 # where the edge leaves its source
    y1: float
    x2: float                 # the arrow's tip
    y2: float
    value: str                # forward value of the source, formatted
    grad: str                 # gradient flowing back along this edge, formatted
    vx: float                 # baseline centre of the value label
    vy: float
    gx: float                 # baseline centre of the gradient label
    gy: float
    segments: list = field(default_factory=list)     # [(x1, y1, x2, y2)], source to tip
    angle: float = 0.0        # direction of the last segment, degrees (0 = rightwards)


@dataclass
class Layout:
    width: float
    height: float
    output: str
    boxes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    direction: str = "LR"     # "LR" (ranks left to right) or "TB" (top to bottom)
    title: str = ""
    legend_value: str = ""
    legend_grad: str = ""
    cuts: list = field(default_factory=list)     # y of the gaps between bands (TB): page breaks

    def pieces(self, height):
        """The drawing cut across gaps between bands into pieces at most ``height`` tall (where
        possible), for a document that breaks pages: a tall graph in a PDF goes on over pages
        instead of shrinking. Each piece's y runs from 0 at its top."""
        tops, top = [0.0], 0.0
        cuts = [c for c in self.cuts if c > 0]
        for i, cut in enumerate(cuts):
            following = cuts[i + 1] if i + 1 < len(cuts) else self.height
            if following - top > height and cut - top > 0:
                tops.append(cut)
                top = cut
        bottoms = tops[1:] + [self.height]
        return [_piece(self, y0, y1) for y0, y1 in zip(tops, bottoms, strict=False)]


@dataclass
class Piece:
    width: float
    height: float
    segments: list            # [(x1, y1, x2, y2)]
    arrows: list              # [(x, y, angle)]
    labels: list              # [(x, y, text, "value" | "grad")]
    boxes: list               # Box records, y shifted


def _piece(layout, y0, y1):
    def inside(y):
        return y0 <= y < y1 or (y1 == layout.height and y == y1)

    piece = Piece(layout.width, y1 - y0, [], [], [], [])
    for e in layout.edges:
        for x1, ya, x2, yb in e.segments:
            lo, hi = max(min(ya, yb), y0), min(max(ya, yb), y1)
            if lo > hi or (lo == hi and ya != yb):
                continue
            def at(y, x1=x1, ya=ya, x2=x2, yb=yb):
                return x1 if ya == yb else x1 + (x2 - x1) * (y - ya) / (yb - ya)
            if ya == yb:
                piece.segments.append((x1, ya - y0, x2, yb - y0))
            else:
                piece.segments.append((at(lo), lo - y0, at(hi), hi - y0))
        if inside(e.y2):
            piece.arrows.append((e.x2, e.y2 - y0, e.angle))
        if inside(e.vy):
            piece.labels.append((e.vx, e.vy - y0, e.value, "value"))
        if inside(e.gy):
            piece.labels.append((e.gx, e.gy - y0, e.grad, "grad"))
    for b in layout.boxes:
        if inside(b.y):
            piece.boxes.append(Box(b.name, b.is_input, b.glyph, b.x, b.y - y0, b.w, b.h,
                                   b.name_x, b.name_y - y0, b.name_anchor))
    return piece


@dataclass
class Item:
    """One item of a level: a node, an edge's labels, a pass-through line, or the output's tip."""
    kind: str                 # "node", "label", "pass", "end"
    key: tuple
    before: float             # extent along the order axis before the anchor (the line's place)
    after: float              # ... and after it
    thick: float              # extent along the rank axis
    pos: float = 0.0          # the anchor, on the order axis
    up: list = field(default_factory=list)       # neighbours in the level before (items)
    down: list = field(default_factory=list)     # ... and after


@dataclass
class GraphSpec:
    """What the layout needs of a derivation, in the order it was computed."""
    order: list               # node names, topological (inputs first)
    inputs: set
    args: dict                # node -> distinct argument nodes
    glyphs: dict              # gate -> text in its box
    output: str
    edges: list               # [(source, target, value text, gradient text)], output's edge last


# --- ranks ------------------------------------------------------------------------------------
def ranks(spec, budget=None, label_width=None):
    """node -> rank. With ``budget`` (px along the order axis), a gate whose incoming labels would
    make its rank's label level wider than that moves to a later rank."""
    rank, used = {}, {}
    readers = {n: [t for t in spec.order if n in spec.args.get(t, ())] for n in spec.order}
    for name in spec.order:
        if name in spec.inputs:
            continue
        r = 1 + max((rank.get(a, 0) for a in spec.args[name]), default=0)
        need = sum(label_width[(a, name)] + ITEM_GAP for a in spec.args[name]) if budget else 0
        while budget and used.get(r, 0) and used[r] + need > budget:
            r += 1
        used[r] = used.get(r, 0) + need
        rank[name] = r
    for name in spec.order:
        if name in spec.inputs:
            first = [rank[t] for t in readers[name] if t in rank]
            rank[name] = min(first) - 1 if first else 0
    low = min(rank.values())
    return {n: r - low for n, r in rank.items()}


# --- levels and chains --------------------------------------------------------------------------
def build_levels(spec, rank, sizes):
    """(levels, chains): the items of every level, and each edge's items from source to target."""
    last = 2 * max(rank.values())
    levels = [[] for _ in range(last + 3)]
    nodes = {}
    for name in spec.order:
        before, after, thick = sizes[name]
        nodes[name] = Item("node", (name,), before, after, thick)
        levels[2 * rank[name]].append(nodes[name])
    chains = []
    for source, target, _value, _grad in spec.edges:
        start = 2 * rank[source]
        stop = 2 * rank[target] if target else last + 2
        chain = [nodes[source]]
        for level in range(start + 1, stop):
            if level == stop - 1:
                before, after, thick = sizes[(source, target)]
                item = Item("label", (source, target), before, after, thick)
            else:
                item = Item("pass", (source, target, level), 3, 3, 0)
            levels[level].append(item)
            chain.append(item)
        if target:
            chain.append(nodes[target])
        else:
            end = Item("end", ("end",), 3, 3, 16)
            levels[stop].append(end)
            chain.append(end)
        for a, b in zip(chain, chain[1:], strict=False):
            a.down.append(b)
            b.up.append(a)
        chains.append(chain)
    return levels, chains


# --- order within levels (crossing reduction) --------------------------------------------------
def _crossings(levels):
    total = 0
    for level in levels:
        pairs = []
        for item in level:
            for b in item.down:
                pairs.append((item.pos, b.pos))
        pairs.sort()
        for i, (a1, b1) in enumerate(pairs):
            total += sum(1 for a2, b2 in pairs[i + 1:] if a2 > a1 and b2 < b1)
    return total


def _renumber(level):
    for i, item in enumerate(level):
        item.pos = float(i)


def order_levels(levels):
    """Barycentre sweeps down and up; the ordering with the fewest crossings is kept."""
    for level in levels:
        _renumber(level)
    for level in levels[1:]:
        level.sort(key=lambda it: _mean([u.pos for u in it.up], it.pos))
        _renumber(level)
    best = (_crossings(levels), [list(level) for level in levels])
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        sequence = levels[1:] if down else list(reversed(levels[:-1]))
        for level in sequence:
            level.sort(key=lambda it: _mean([n.pos for n in (it.up if down else it.down)], it.pos))
            _renumber(level)
        count = _crossings(levels)
        if count < best[0]:
            best = (count, [list(level) for level in levels])
    for level, kept in zip(levels, best[1], strict=False):
        level[:] = kept
        _renumber(level)


def _mean(values, default):
    return sum(values) / len(values) if values else default


# --- positions along the order axis -------------------------------------------------------------
def _separation(a, b):
    gap = THIN_GAP if a.kind in ("pass", "end") and b.kind in ("pass", "end") else ITEM_GAP
    return a.after + b.before + gap


def place_level(level, desired, weights):
    """Positions as close as possible (weighted least squares) to ``desired`` that keep the
    level's order and separations: isotonic regression by pooling adjacent violators."""
    offsets, total = [], 0.0
    for i, item in enumerate(level):
        if i:
            total += _separation(level[i - 1], item)
        offsets.append(total)
    blocks = []                       # [value, weight, count]
    targets = [d - o for d, o in zip(desired, offsets, strict=True)]
    for target, weight in zip(targets, weights, strict=True):
        blocks.append([target, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    i = 0
    for value, _weight, count in blocks:
        for _ in range(count):
            level[i].pos = value + offsets[i]
            i += 1


def _pull(item, neighbours):
    """How strongly ``item`` wants to line up with ``neighbours``: long edges (pass-through
    chains) most, so they run straight; labels follow their edge."""
    if not neighbours:
        return item.pos, 0.01
    weight = sum(8.0 if item.kind != "node" and n.kind != "node" else
                 2.0 if item.kind != "node" or n.kind != "node" else 1.0 for n in neighbours)
    return sum(n.pos for n in neighbours) / len(neighbours), weight


def position_levels(levels):
    for level in levels:
        place_level(level, [0.0] * len(level), [1.0] * len(level))
    for sweep in range(2 * SWEEPS + 1):
        last = sweep == 2 * SWEEPS
        down = sweep % 2 == 0
        sequence = levels if down or last else list(reversed(levels))
        for level in sequence:
            pulls = [_pull(it, it.up + it.down if last else it.up if down else it.down)
                     for it in level]
            place_level(level, [p for p, _ in pulls], [w for _, w in pulls])
    low = min(it.pos - it.before for level in levels for it in level)
    for level in levels:
        for it in level:
            it.pos += MARGIN - low
    return max(it.pos + it.after for level in levels for it in level) + MARGIN


# --- bands along the rank axis ------------------------------------------------------------------
def band_starts(levels, start):
    """(start, thickness) of every level's band; the gap before a band grows with the slope of
    the segments crossing it, so steep edges stay readable."""
    out, at = [], start
    for i, level in enumerate(levels):
        thick = max((it.thick for it in level), default=0.0)
        if i:
            run = max((abs(it.pos - u.pos) for it in level for u in it.up), default=0.0)
            at += min(max(20.0, 0.22 * run), 70.0)
        out.append((at, thick))
        at += thick
    return out, at


# --- the drawing ----------------------------------------------------------------------------------
def item_sizes(spec, direction):
    """(before, after, thick) of every node and every edge's label item, for ``direction``."""
    sizes, label_width = {}, {}
    for name in spec.order:
        if name in spec.inputs:
            width = INPUT_CHAR_W * len(name) + 4
            sizes[name] = (width / 2, width / 2, 18) if direction == "TB" else (11, 6, width + 6)
        else:
            box = gate_width(spec.glyphs[name])
            name_w = NAME_CHAR_W * len(name)
            sizes[name] = ((box / 2, box / 2 + 6 + name_w, BOX_H) if direction == "TB" else
                           (BOX_H / 2, BOX_H / 2 + 15, max(box, name_w + 4)))
    for source, target, value, grad in spec.edges:
        width = LABEL_CHAR_W * max(len(value), len(grad))
        label_width[(source, target)] = width + 8
        sizes[(source, target)] = (2, 8 + width, 2 * LABEL_LINE) if direction == "TB" else \
            (17, 17, width + 6)
    return sizes, label_width


def gate_width(glyph):
    return max(40.0, GLYPH_CHAR_W * len(glyph) + 18)


def layout(spec, direction, budget=None):
    """The :class:`Layout` of ``spec`` drawn in ``direction`` ("LR" or "TB")."""
    sizes, label_width = item_sizes(spec, direction)
    rank = ranks(spec, budget, label_width)
    levels, chains = build_levels(spec, rank, sizes)
    order_levels(levels)
    extent = position_levels(levels)
    tb = direction == "TB"
    shift = 0.0 if tb else LEGEND_H                   # the legend sits above, in both directions
    bands, end = band_starts(levels, LEGEND_H + MARGIN if tb else MARGIN)
    centre = {}
    cuts = [start - 10 for start, _thick in bands[1:]] if tb else []
    for level, (start, thick) in zip(levels, bands, strict=False):
        for it in level:
            it.pos += shift
            centre[id(it)] = (start, start + thick, start + thick / 2)

    def xy(o, r):
        return (o, r) if tb else (r, o)

    out = Layout(width=max(extent, 380.0) if tb else end + MARGIN,
                 height=end + MARGIN if tb else extent + shift, output=spec.output,
                 direction=direction, cuts=cuts)
    for name in spec.order:
        it = levels[2 * rank[name]][[lv.key for lv in levels[2 * rank[name]]].index((name,))]
        out.boxes.append(_box(spec, name, it, centre[id(it)], tb, xy))
    for chain, (source, target, value, grad) in zip(chains, spec.edges, strict=False):
        out.edges.append(_edge(chain, source, target, value, grad, centre, tb, xy))
    return out


def _box(spec, name, it, band, tb, xy):
    _start, _end, c = band
    if name in spec.inputs:
        if tb:
            x, y = xy(it.pos, c + it.thick / 2)
            return Box(name, True, "", x, y, 0.0, 0.0, it.pos, c + 5, "middle")
        x, y = xy(it.pos, c + it.thick / 2)
        return Box(name, True, "", x, y, 0.0, 0.0, x - 3, y + 5, "end")
    glyph = spec.glyphs[name]
    w = gate_width(glyph)
    x, y = xy(it.pos, c)
    if tb:
        return Box(name, False, glyph, x, y, w, BOX_H, x + w / 2 + 6, y + 4, "start")
    return Box(name, False, glyph, x, y, w, BOX_H, x, y + BOX_H / 2 + 13, "middle")


def _port(chain, tb):
    """Where the edge enters its target: incoming edges spread over the box's face, in the order
    of the items they come from, so they do not cross at the arrowheads."""
    target, before = chain[-1], chain[-2]
    if target.kind != "node":
        return target.pos
    ups = sorted(target.up, key=lambda u: u.pos)
    if len(ups) == 1:
        return target.pos
    face = (target.before * 2 if tb else BOX_H) - 14
    step = min(12.0, face / (len(ups) - 1))
    i = next(k for k, u in enumerate(ups) if u is before)
    return target.pos + (i - (len(ups) - 1) / 2) * step


def _edge(chain, source, target, value, grad, centre, tb, xy):
    first, last = chain[0], chain[-1]
    start, end, c = centre[id(first)]
    points = [(first.pos, c + first.thick / 2), (first.pos, end)]
    label = None
    for it in chain[1:-1]:
        start, end, c = centre[id(it)]
        points += [(it.pos, start), (it.pos, end)]
        if it.kind == "label":
            label = (it, c)
    start, end, c = centre[id(last)]
    port = _port(chain, tb)
    tip = c - last.thick / 2 if last.kind == "node" else start + last.thick
    points += [(port, start), (port, tip)]
    points = _simplify(points)
    segments = []
    for (o1, r1), (o2, r2) in zip(points, points[1:], strict=False):
        segments.append(xy(o1, r1) + xy(o2, r2))
    it, c = label
    width = LABEL_CHAR_W * max(len(value), len(grad))
    if tb:
        vx = gx = it.pos + 6 + width / 2
        vy, gy = c - 3, c + LABEL_LINE - 3
    else:
        vx = gx = c
        vy, gy = it.pos - 6, it.pos + 15
    (x1, y1), (x2, y2) = xy(*points[0]), xy(*points[-1])
    return Edge(source, target, x1, y1, x2, y2, value, grad, vx, vy, gx, gy, segments,
                90.0 if tb else 0.0)


def _simplify(points):
    """Drop repeated points and the middle of three points on one axis-parallel line."""
    out = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and out[-1][0] == out[-2][0] == p[0]:
            out[-1] = p
            continue
        out.append(p)
    return out


def choose_layout(spec, max_width=COLUMN_WIDTH):
    """Left to right when that fits ``max_width``; else top to bottom, with ranks split until
    the figure fits (or splitting no longer helps)."""
    wide = layout(spec, "LR")
    if wide.width <= max_width:
        return wide
    budget = max_width - 2 * MARGIN
    tall = layout(spec, "TB")
    while tall.width > max_width and budget > 160:
        tall = layout(spec, "TB", budget)
        budget *= 0.85
    return tall
