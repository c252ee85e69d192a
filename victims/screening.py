"""The identification screening of a victim: the three elements of trafficking in persons —
an act, a means, a purpose of exploitation (Palermo Protocol art. 3(a), as PTPA 2018 s.3 has
them) — and, for a child, no means needed (art. 3(c)): docs/investigation.md#htcds-fields.

The reading supports the identification decision and is shown beside it; it never makes the
decision, nor refuses one (the officer decides, on more than a checklist). A child is one
under 18 at identification (`Victim.is_child`, from `age_at_identification`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.constants import Exploitation, TraffickingAct, TraffickingMeans

__all__ = ["Screening", "screen"]


@dataclass(frozen=True)
class Screening:
    acts: tuple[str, ...]
    means: tuple[str, ...]
    purposes: tuple[str, ...]
    is_child: bool

    @property
    def screened(self) -> bool:
        return bool(self.acts or self.means or self.purposes)

    @property
    def act_met(self) -> bool:
        return bool(self.acts)

    @property
    def means_needed(self) -> bool:
        return not self.is_child

    @property
    def means_met(self) -> bool:
        return bool(self.means) or self.is_child

    @property
    def purpose_met(self) -> bool:
        return bool(self.purposes)

    @property
    def meets_definition(self) -> bool:
        return self.act_met and self.means_met and self.purpose_met

    @property
    def missing(self) -> list[str]:
        """The elements not found, in the definition's order."""
        return [
            name
            for name, met in (("act", self.act_met), ("means", self.means_met),
                              ("purpose", self.purpose_met))
            if not met
        ]  # fmt: skip

    @property
    def summary(self) -> str:
        """One line for the page: what the answers say about the identification."""
        if not self.screened:
            return "Not screened."
        if self.meets_definition:
            child = " (a child: no means needed)" if self.is_child else ""
            return f"Act, means and purpose found{child}: the answers support identification."
        found = [n for n in ("act", "means", "purpose") if n not in self.missing]
        if self.is_child and "means" in found:
            found = [n for n in found if n != "means"] + ["means (not needed: a child)"]
        return (
            f"Found: {', '.join(found) or 'nothing'}; not found: {', '.join(self.missing)}. "
            "The answers alone do not support identification as a victim of trafficking."
        )

    def labels(self) -> dict[str, list[str]]:
        return {
            "acts": _labels(self.acts, TraffickingAct),
            "means": _labels(self.means, TraffickingMeans),
            "purposes": _labels(self.purposes, Exploitation),
        }


def _labels(values, choices) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(v, v)) for v in values]


def screen(victim) -> Screening:
    return Screening(
        acts=tuple(victim.screening_acts or ()),
        means=tuple(victim.screening_means or ()),
        purposes=tuple(victim.screening_purposes or ()),
        is_child=bool(victim.is_child),
    )
