"""A case's network drawn on the server as SVG: the case, its people, their identifiers, and
the other cases (and offices) the identifiers are also held in.

Two layouts of the same network: four columns joined by curves for a wide screen, and an
indented outline for a phone, the page's stylesheet showing one or the other. Every label is
text put into the page's own HTML by a template (autoescaped), never a file of its own and
never script: the SVG is inline in the page, under the site's Content-Security-Policy. What it
shows is what the case page's people section shows (`people.presentation.case_people`),
masked at the same level.
"""

from __future__ import annotations

from dataclasses import dataclass

from people.presentation import CasePeople

__all__ = ["Layout", "Network", "network_of"]

COLUMN_WIDTH = 210
COLUMN_GAP = 70
NODE_HEIGHT = 30
ROW_GAP = 14
PAD = 20
LABEL_LIMIT = 28


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


@dataclass
class Node:
    key: str
    column: int
    label: str
    sublabel: str = ""
    kind: str = ""  # case | person | identifier | other-case | office
    url: str = ""
    x: int = 0
    y: int = 0
    narrow: bool = False

    @property
    def width(self) -> int:
        return NARROW_WIDTH if self.narrow else COLUMN_WIDTH

    @property
    def height(self) -> int:
        return NODE_HEIGHT

    @property
    def text_x(self) -> int:
        return self.x + 8

    @property
    def text_y(self) -> int:
        return self.y + 13

    @property
    def sub_y(self) -> int:
        return self.y + 25

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def middle(self) -> int:
        return self.y + NODE_HEIGHT // 2


@dataclass
class Edge:
    source: Node
    target: Node
    elbow: bool = False  # the narrow layout's connector: down from the parent, then across

    @property
    def path(self) -> str:
        if self.elbow:
            x1, y1 = self.source.x + INDENT // 2, self.source.y + NODE_HEIGHT
            return f"M{x1},{y1} V{self.target.middle} H{self.target.x}"
        x1, y1 = self.source.right, self.source.middle
        x2, y2 = self.target.x, self.target.middle
        bend = (x2 - x1) // 2
        return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"


@dataclass
class Layout:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


@dataclass
class Network:
    """Two drawings of one network: `wide`, four columns side by side (a desk's screen), and
    `narrow`, an indented outline that fits a phone; the page shows one by its width."""

    wide: Layout
    narrow: Layout

    @property
    def is_empty(self) -> bool:
        return len(self.wide.nodes) <= 1

    @property
    def has_offices(self) -> bool:
        return any(node.kind == "office" for node in self.wide.nodes)


# The narrow layout: each node on its own line, indented by its column.
INDENT = 22
NARROW_WIDTH = 250


def network_of(case, section: CasePeople) -> Network:
    """The network of `case` as the people section shows it, laid out both ways."""
    tree = _tree(case, section)
    return Network(wide=_wide(tree), narrow=_narrow(tree))


def _tree(case, section: CasePeople):
    """(node, children) from the case down: people, their identifiers, the holders."""
    people = []
    for person in section.people:
        identifiers = []
        for identifier in person.identifiers:
            shown = "cannot be read now" if identifier.unreadable else identifier.shown
            holders = [
                Node(f"c{m.case_id}", 3, m.reference, _short(m.title), "other-case", m.url)
                for m in identifier.visible_matches
            ] + [
                Node(
                    f"o{h.office_id}",
                    3,
                    f"{h.office_code}: a case you cannot see",
                    _short(h.office_name),
                    "office",
                )  # fmt: skip
                for h in identifier.hidden_matches
            ]
            node = Node(f"i{identifier.pk}", 2, _short(shown), identifier.kind_label, "identifier")
            identifiers.append((node, [(holder, []) for holder in holders]))
        node = Node(f"p{person.pk}", 1, _short(person.label), person.role_label, "person")
        people.append((node, identifiers))
    return (Node("case", 0, case.reference, _short(case.title), "case"), people)


def _wide(tree) -> Layout:
    columns: list[list[Node]] = [[], [], [], []]
    edges: list[Edge] = []
    placed: dict[str, Node] = {}

    def visit(node: Node, children, parent: Node | None) -> None:
        if node.key in placed and node.column == 3:
            node = placed[node.key]  # another identifier held in the same case or office
        else:
            placed[node.key] = node
            columns[node.column].append(node)
        if parent is not None:
            edges.append(Edge(parent, node))
        for child, grandchildren in children:
            visit(child, grandchildren, node)

    visit(*tree, None)
    rows = max(len(column) for column in columns)
    height = PAD * 2 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP
    for index, column in enumerate(columns):
        used = len(column) * NODE_HEIGHT + max(len(column) - 1, 0) * ROW_GAP
        top = (height - used) // 2
        for row, node in enumerate(column):
            node.x = PAD + index * (COLUMN_WIDTH + COLUMN_GAP)
            node.y = top + row * (NODE_HEIGHT + ROW_GAP)
    width = PAD * 2 + 4 * COLUMN_WIDTH + 3 * COLUMN_GAP
    return Layout([node for column in columns for node in column], edges, width, height)


def _narrow(tree) -> Layout:
    nodes: list[Node] = []
    edges: list[Edge] = []

    def visit(node: Node, children, parent: Node | None) -> None:
        line = Node(node.key, node.column, node.label, node.sublabel, node.kind, node.url)
        line.x = PAD // 2 + line.column * INDENT
        line.y = PAD // 2 + len(nodes) * (NODE_HEIGHT + ROW_GAP // 2)
        line.narrow = True
        nodes.append(line)
        if parent is not None:
            edges.append(Edge(parent, line, elbow=True))
        for child, grandchildren in children:
            visit(child, grandchildren, line)

    visit(*tree, None)
    height = PAD + len(nodes) * (NODE_HEIGHT + ROW_GAP // 2)
    return Layout(nodes, edges, PAD + 3 * INDENT + NARROW_WIDTH, height)
