"""Reads of the person index: who may see the people of a case and their identifiers.

The people of a case and their identifiers are part of the case's investigation record, like
its suspects: seen by those who see the case at FULL level or above (`cases.access`), through
the case rule itself (`cases.querysets.CaseIdGranted`). A summary share shows none of them,
and no match either. Matches across cases (`people.matching`) read the index beyond what the
user sees, and say of the other cases only what docs/people.md allows.
"""

from __future__ import annotations

from cases.constants import ShareLevel
from cases.querysets import CaseIdGranted, GrantSql
from liaison_offices.access import VisibleQuerySet

# The lowest level at which a case's people and identifiers are shown.
PEOPLE_MIN_LEVEL = ShareLevel.FULL


class PersonQuerySet(VisibleQuerySet):
    def rule(self, scope, at):
        return CaseIdGranted(GrantSql(scope, at, PEOPLE_MIN_LEVEL))


class IdentifierQuerySet(VisibleQuerySet):
    def rule(self, scope, at):
        return CaseIdGranted(GrantSql(scope, at, PEOPLE_MIN_LEVEL))
