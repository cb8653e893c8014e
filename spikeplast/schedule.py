"""The one order of operations inside a time step, shared by every backend.

Each step runs six slots in Brian2's default order::

    start       inputs emit this step's spikes; state and weight monitors record
    groups      neuron state update (ODE integration over one dt)
    thresholds  spike detection (v > v_th and not refractory)
    synapses    spike delivery: spikes due now (after their delay) add their weight
                to the target port
    resets      v = v_reset for neurons that spiked; refractoriness starts
    end         spike and rate monitors hold the spikes of this step, at time n·dt

A spike emitted in step ``n`` through a synapse with a delay of ``d`` steps is
added to its port in the ``synapses`` slot of step ``n + d``; it first moves the
membrane in the ``groups`` slot of step ``n + d + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SLOTS", "Operation", "Schedule"]

#: slot names, in execution order (Brian2's ``when`` values)
SLOTS = ("start", "groups", "thresholds", "synapses", "resets", "end")


@dataclass(frozen=True)
class Operation:
    """One scheduled operation: which slot, on what object, doing what."""

    slot: str
    target: str
    what: str


@dataclass(frozen=True)
class Schedule:
    """The resolved schedule of a plan; ``print(plan.schedule)`` shows it."""

    dt: float
    operations: tuple[Operation, ...]

    def in_slot(self, slot: str) -> tuple[Operation, ...]:
        """The operations of one slot, in order."""
        return tuple(op for op in self.operations if op.slot == slot)

    def __str__(self) -> str:
        lines = [f"Schedule (dt = {self.dt * 1e3:g} ms), each step in this order:"]
        for slot in SLOTS:
            ops = self.in_slot(slot)
            lines.append(f"  {slot:<11}" + ("(nothing)" if not ops else ""))
            lines += [f"      {op.target:<18} {op.what}" for op in ops]
        return "\n".join(lines)
