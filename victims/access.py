"""Who may see a victim's personal data, and the one way to read it (which is always recorded).

**The decision** — `allowed_personal_fields(user, victim)` (truthy test:
`personal_data_allowed`) — is the `personal_access` annotation of
`VictimQuerySet.with_personal_access`, so lists and single records apply the same SQL:

| who                                                            | sees                        |
|----------------------------------------------------------------|-----------------------------|
| HQ                                                             | every personal field        |
| desks of the recording office, or of the lead office of any    | every personal field        |
| case the victim is linked to                                   |                             |
| recipient (office or partner) of a live FULL_WITH_VICTIMS      | every personal field        |
| share of a linked case, **and** the victim's live consent to   |                             |
| sharing with that same office / organisation                   |                             |
| a partner working a referral of the victim (accepted or in     | the fields its service      |
| progress) that relies on a live consent (or on an override)    | needs: `SERVICE_FIELDS`     |
| everyone else who sees the victim                              | the code and non-identifying|
|                                                                | fields only                 |

`SERVICE_FIELDS` (victims.constants): shelter and medical → name, date of birth, phone;
return → every field (travel documents, home address); reintegration → name, phone, address;
family tracing → name, date of birth, address; psychosocial, legal aid, livelihood, education
→ name only.

**The read** — every door (page, API, admin, export) that shows personal data calls
`reveal_personal_data` (or `reveal_personal_data_many` for a list/export). It decrypts only the
allowed fields, and writes one `PersonalDataAccess` row per victim shown through
`record_personal_data_read(s)`. A code-only view calls neither and leaves no row. A door that
decrypts by other means (none should) must call `record_personal_data_read` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connections, router

from victims.constants import ALL_PERSONAL_FIELDS, AccessDoor
from victims.crypto import PersonalDataUnreadable, Sealed
from victims.models import PersonalDataAccess, Victim
from victims.querysets import PERSONAL_ACCESS, PERSONAL_ACCESS_USER, fields_of_mask

logger = logging.getLogger(__name__)


class PersonalData:
    """Decrypted personal fields of one victim, as allowed to one user.

    Its repr names the fields, never their values, so it cannot leak into a log or a trace.
    """

    __slots__ = ("victim_code", "_values")

    def __init__(self, victim_code: str, values: dict[str, object]):
        self.victim_code = victim_code
        self._values = values

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name in ALL_PERSONAL_FIELDS if name in self._values)

    def __getattr__(self, name: str):
        if name in ALL_PERSONAL_FIELDS:
            return self._values.get(name)
        raise AttributeError(name)

    def __getitem__(self, name: str):
        return self._values[name]

    def get(self, name: str, default=None):
        return self._values.get(name, default)

    def as_dict(self) -> dict[str, object]:
        return dict(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"<PersonalData {self.victim_code}: {', '.join(self.fields) or 'none'}>"

    __str__ = __repr__


def personal_fields_of(victim: Victim, user=None) -> frozenset[str]:
    """The allowed fields from a row annotated by `with_personal_access(user)`.

    Raises if the row was not annotated (or was annotated for someone else), so a view cannot
    silently skip the rule.
    """
    if not hasattr(victim, PERSONAL_ACCESS):
        raise ValueError("Annotate the queryset with .with_personal_access(user) first.")
    if user is not None and getattr(victim, PERSONAL_ACCESS_USER) != user.pk:
        raise ValueError("This victim was annotated for another user.")
    return fields_of_mask(getattr(victim, PERSONAL_ACCESS) or 0)


def allowed_personal_fields(user, victim: Victim) -> frozenset[str]:
    """The personal fields of `victim` that `user` may see (empty: code and facts only)."""
    if getattr(victim, PERSONAL_ACCESS_USER, object()) == getattr(user, "pk", None):
        return personal_fields_of(victim)
    mask = (
        Victim.objects.filter(pk=victim.pk)
        .visible_to(user)
        .with_personal_access(user)
        .values_list(PERSONAL_ACCESS, flat=True)
        .first()
    )
    return fields_of_mask(mask or 0)


def personal_data_allowed(user, victim: Victim) -> bool:
    """May `user` see any of `victim`'s personal data?"""
    return bool(allowed_personal_fields(user, victim))


def _access_record(
    user, victim: Victim, door: str, fields: Iterable[str], reason: str = "", purpose: str = ""
):
    wanted = set(fields)
    return PersonalDataAccess(
        user=user,
        victim=victim,
        door=AccessDoor(door),
        fields=[name for name in ALL_PERSONAL_FIELDS if name in wanted],
        purpose=purpose,
        reason=reason[:200],
    )


def record_personal_data_read(
    *,
    user,
    victim: Victim,
    door: str,
    fields: Iterable[str],
    reason: str = "",
    purpose: str = "",
) -> PersonalDataAccess:
    """Write the access record for one look at `victim`'s personal data, with why."""
    record = _access_record(user, victim, door, fields, reason, purpose)
    record.save()
    return record


def record_personal_data_reads(
    *, user, door: str, reads: Iterable[tuple[Victim, Iterable[str]]]
) -> list[PersonalDataAccess]:
    """`record_personal_data_read` for many victims at once (a list or an export).

    One INSERT, not `bulk_create`: that wraps its INSERT in a transaction of its own, which
    outside one costs a BEGIN and a COMMIT — two more round trips on every read of personal
    data — for a statement that is atomic by itself. A very long export (more rows than one
    statement may carry) is written in batches inside one transaction.
    """
    records = [_access_record(user, victim, door, fields) for victim, fields in reads]
    if not records:
        return []
    fields = [field for field in PersonalDataAccess._meta.concrete_fields if not field.primary_key]
    db = router.db_for_write(PersonalDataAccess)
    size = connections[db].ops.bulk_batch_size(fields, records)
    if len(records) > size:
        return PersonalDataAccess.objects.bulk_create(records, batch_size=size)
    PersonalDataAccess.objects._insert(records, fields=fields, using=db)
    return records


def _decrypt(victim: Victim, fields: Iterable[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in fields:
        value = getattr(victim, name)
        if value is None:
            continue
        if isinstance(value, Sealed):
            try:
                value = value.reveal()
            except PersonalDataUnreadable as exc:
                logger.error(
                    "Personal data of victim %s cannot be decrypted (field %s): key missing "
                    "from FIELD_ENCRYPTION_KEYS",
                    victim.code,
                    name,
                )
                raise PersonalDataUnreadable(name, victim.code) from exc
        values[name] = value
    return values


def _wanted(allowed: frozenset[str], fields: Iterable[str] | None) -> list[str]:
    wanted = ALL_PERSONAL_FIELDS if fields is None else tuple(fields)
    unknown = set(wanted) - set(ALL_PERSONAL_FIELDS)
    if unknown:
        raise ValueError(f"Not personal fields: {', '.join(sorted(unknown))}")
    return [name for name in wanted if name in allowed]


def reveal_personal_data(
    *,
    user,
    victim: Victim,
    door: str,
    fields: Iterable[str] | None = None,
    reason: str = "",
    purpose: str = "",
) -> PersonalData:
    """Decrypt the allowed personal fields of `victim` for `user` and record the read.

    `fields` narrows what the door shows (default: all it may). Nothing allowed → an empty
    PersonalData and no record. A field that cannot be decrypted raises PersonalDataUnreadable
    (and nothing is recorded, since nothing was shown).
    """
    names = _wanted(allowed_personal_fields(user, victim), fields)
    if not names:
        return PersonalData(victim.code, {})
    values = _decrypt(victim, names)
    record_personal_data_read(
        user=user,
        victim=victim,
        door=door,
        fields=list(values) or names,
        reason=reason,
        purpose=purpose,
    )
    return PersonalData(victim.code, values)


def reveal_personal_data_many(
    *,
    user,
    victims: Iterable[Victim],
    door: str,
    fields: Iterable[str] | None = None,
) -> dict[int, PersonalData]:
    """`reveal_personal_data` for rows annotated by `with_personal_access(user)` (lists, exports):
    one access record per victim shown, written in one query. Keyed by victim id.
    """
    result: dict[int, PersonalData] = {}
    reads = []
    for victim in victims:
        names = _wanted(personal_fields_of(victim, user), fields)
        if not names:
            result[victim.pk] = PersonalData(victim.code, {})
            continue
        values = _decrypt(victim, names)
        result[victim.pk] = PersonalData(victim.code, values)
        reads.append((victim, names))
    record_personal_data_reads(user=user, door=door, reads=reads)
    return result
