"""Each guided flow's state diagram (Mermaid), drawn from the flow's definition.

Hand-drawn diagrams went stale as flows changed, so the diagram is generated from what the
engine itself follows: the steps in order, the steps asked only under a condition (`Step.when`),
the jumps `on_answer` may take (declared as data in `Flow.jumps`), and "back" along every way
forward. `python -m bot diagrams` writes them; a test fails when a checked-in one differs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from handlers.flow import Flow

COMMAND = "python -m bot diagrams"
DIRECTORY = Path(__file__).parent
END = "[*]"


def file_name(flow: Flow) -> str:
    """`handlers/<flow>.mmd`; a colon (report flows are named by form and version) becomes a dash."""
    return re.sub(r"[^\w.-]", "-", flow.name) + ".mmd"


def _state_id(step: str) -> str:
    """Mermaid state ids are words: `q:roles` is drawn as `q_roles` with its real name as label."""
    return re.sub(r"\W", "_", step)


def default_next(flow: Flow, after: int) -> list[str | None]:
    """The steps that may come after position `after` (-1: the start) when nothing jumps: each
    conditional step up to the first unconditional one, or the end if every later step may be skipped."""
    targets: list[str | None] = []
    for step in flow.steps[after + 1 :]:
        targets.append(step.name)
        if step.when is None:
            return targets
    return [*targets, None]


def forward_edges(flow: Flow) -> list[tuple[str | None, str | None]]:
    """(from, to) pairs, None standing for the start (as source) or the end (as target)."""
    edges: list[tuple[str | None, str | None]] = [(None, target) for target in default_next(flow, -1)]
    for index, step in enumerate(flow.steps):
        targets = flow.jumps[step.name] if step.name in flow.jumps else tuple(default_next(flow, index))
        edges.extend((step.name, target) for target in targets)
    return list(dict.fromkeys(edges))


def _source_file(flow: Flow) -> str:
    module = sys.modules.get(getattr(flow.finish, "__module__", ""), None)
    path = Path(getattr(module, "__file__", "") or "")
    return f"handlers/{path.name}" if path.name else "handlers/"


def mermaid(flow: Flow) -> str:
    """The flow as a Mermaid stateDiagram-v2, with a header saying what is drawn and what is not."""
    lines = [
        f"%% The guided flow \"{flow.name}\" ({_source_file(flow)}), generated from its definition",
        f"%% by `{COMMAND}`: do not edit by hand.",
        "%% Drawn: the steps in order; steps asked only under a condition (the condition itself is code);",
        "%% the jumps on_answer may take (Flow.jumps); /quaylai back to the step asked before.",
        "%% Not drawn: an invalid answer asks the same step again; /huy ends the flow at any step;",
        "%% which command starts the flow, and at which step it resumes (code).",
    ]
    if flow.ephemeral:
        lines.append("%% Ephemeral: the conversation row is deleted when the flow ends.")
    lines.append("stateDiagram-v2")
    for step in flow.steps:
        ident = _state_id(step.name)
        if ident != step.name:
            lines.append(f'    state "{step.name}" as {ident}')
        if step.when is not None:
            lines.append(f"    {ident} : {_condition(step.when)}")
    forward = forward_edges(flow)
    for source, target in forward:
        lines.append(f"    {_node(source)} --> {_node(target)}")
    for source, target in _back_edges(forward):
        lines.append(f"    {_node(source)} --> {_node(target)}: /quaylai")
    return "\n".join(lines) + "\n"


def _back_edges(forward: list[tuple[str | None, str | None]]) -> list[tuple[str, str]]:
    """Back returns to the step asked before, so each way forward between two steps is one way back."""
    back = [(target, source) for source, target in forward if source and target and source != target]
    return list(dict.fromkeys(back))


def _condition(when: object) -> str:
    """A named predicate is shown by its name (the same name: the same condition); a lambda is not."""
    name = getattr(when, "__name__", "<lambda>")
    return "asked only when its condition holds" if name == "<lambda>" else f"asked only when {name.lstrip('_')}"


def _node(step: str | None) -> str:
    return END if step is None else _state_id(step)


def write_all(flows: Iterable[Flow], directory: Path = DIRECTORY) -> list[Path]:
    """Write every flow's diagram, and remove diagrams of flows that no longer exist."""
    written = []
    for flow in flows:
        path = directory / file_name(flow)
        path.write_text(mermaid(flow), encoding="utf-8")
        written.append(path)
    for old in set(directory.glob("*.mmd")) - set(written):
        old.unlink()
    return written
