"""The blind index of an identifier: a keyed hash of its match key, per kind.

The hash is `victims.crypto.blind_index` under BLIND_INDEX_KEY, the one victims' duplicate
hints use, in domains of its own (`person-phone`, `person-name` …): a suspect's passport number
never meets a victim's, and a phone number never meets the same digits written as a bank
reference.
"""

from __future__ import annotations

from people.normalise import match_key
from victims.crypto import blind_index

__all__ = ["identifier_index"]


def identifier_index(kind: str, value: str) -> str:
    """The blind index of `value` as an identifier of `kind` (InvalidIdentifier if it is not)."""
    return blind_index(f"person-{kind}", match_key(kind, value))
