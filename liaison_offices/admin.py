"""HQ admin for offices, partners, memberships and office permission grants.

Saves go through `liaison_offices.services`, the same write path as every other door.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from glo_act.errors import DomainError
from liaison_offices import services
from liaison_offices.models import (
    Country,
    LinkOffice,
    LinkOfficeGroupObjectPermission,
    LinkOfficeUserObjectPermission,
    Membership,
    PartnerOrganisation,
)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["iso3", "iso2", "name"]
    search_fields = ["iso3", "iso2", "name"]

    def has_add_permission(self, request) -> bool:
        return False  # loaded from ISO 3166 by a migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# The office permissions as HQ says them (the stock label reads "Link offices and partners |
# link office | Can see the cases of this office").
OFFICE_PERMISSION_WORDS = {
    "view_office_cases": "See the office's cases",
    "change_office_cases": "Work the office's cases (edit, share, refer)",
}


def permission_label(permission) -> str:
    """A permission in words: the office ones by what they let one do, others by section."""
    words = OFFICE_PERMISSION_WORDS.get(permission.codename)
    if words and permission.content_type.app_label == "liaison_offices":
        return words
    from django.apps import apps

    section = apps.get_app_config(permission.content_type.app_label).verbose_name
    return f"{section}: {permission.name[:1].upper()}{permission.name[1:]}"


class PermissionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_label(obj)


class PermissionsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_label(obj)


class LabelledInlineMixin:
    """A tabular inline's cells have no <label>: each input and select gets an accessible
    name (its column and row), the deletion box too."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        columns = {
            name: str(field.label or name) for name, field in formset.form.base_fields.items()
        }
        verbose = str(self.verbose_name)

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = f"{verbose} {index + 1}" if index is not None else f"new {verbose}"
                for name, field in form.fields.items():
                    label = "Remove" if name == "DELETE" else columns.get(name, name)
                    # The admin wraps a foreign key's select (add/change links around it).
                    widget = getattr(field.widget, "widget", field.widget)
                    widget.attrs.setdefault("aria-label", f"{label} ({row})")

        return Labelled


class MembershipInline(LabelledInlineMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "title", "created_at", "ended_at"]
    readonly_fields = ["created_at", "ended_at"]
    autocomplete_fields = ["user"]
    can_delete = False
    show_change_link = True


class OfficeMembershipInline(MembershipInline):
    fk_name = "office"


class PartnerMembershipInline(MembershipInline):
    fk_name = "partner"


class GrantForm(forms.ModelForm):
    """A grant made or changed here needs its reason (an office's own group holds its
    permissions without one)."""

    reason = forms.CharField(
        max_length=300,
        required=False,
        help_text="The joint investigation, or whose leave it covers.",
        widget=forms.TextInput(attrs={"size": 40}),
    )

    def clean(self):
        data = super().clean()
        if self.has_changed() and not data.get("DELETE") and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why this grant is made.")
        return data


class UserGrantInline(LabelledInlineMixin, admin.TabularInline):
    """Grants of this office's permissions to single users (joint investigation, leave cover),
    each with its reason and, for leave cover, its end."""

    model = LinkOfficeUserObjectPermission
    form = GrantForm
    extra = 0
    fields = ["user", "permission", "reason", "ends_at", "granted_by", "granted_at", "state"]
    readonly_fields = ["granted_by", "granted_at", "state"]
    autocomplete_fields = ["user"]
    verbose_name = "grant to a user"
    verbose_name_plural = "grants to users (joint investigations, leave cover)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            from django.contrib.auth.models import Permission

            kwargs["queryset"] = Permission.objects.filter(
                content_type__app_label="liaison_offices",
                codename__in=["view_office_cases", "change_office_cases"],
            ).select_related("content_type")
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="state")
    def state(self, obj) -> str:
        return grant_state(obj)


def grant_state(grant) -> str:
    if grant.pk is None:
        return ""
    if grant.ends_at is None:
        return "until revoked"
    when = timezone.localtime(grant.ends_at).strftime("%d %b %Y, %H:%M")
    return f"ends {when}" if grant.is_live else f"ended {when}"


class GroupGrantInline(UserGrantInline):
    model = LinkOfficeGroupObjectPermission
    fields = ["group", "permission", "reason", "ends_at", "granted_by", "granted_at", "state"]
    autocomplete_fields = ["group"]
    verbose_name = "grant to a group"
    verbose_name_plural = "grants to groups (the office's own group holds both)"


class DomainErrorsAsMessages:
    """A save the services refuse is undone as a whole and HQ is told why, not shown a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # The admin runs the whole save (object and inlines) in one transaction, so a
            # refusal raised here has already rolled everything back.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())


class ServiceSavingAdmin(DomainErrorsAsMessages):
    """Routes inline membership and grant edits through the services."""

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self._delete_inline(request, obj)
        for obj in instances:
            self._save_inline(request, form.instance, obj)

    def _delete_inline(self, request, obj) -> None:
        if isinstance(obj, LinkOfficeUserObjectPermission | LinkOfficeGroupObjectPermission):
            services.office_permission_revoke(
                acting_user=request.user,
                office=obj.content_object,
                permission=obj.permission.codename,
                user=getattr(obj, "user", None),
                group=getattr(obj, "group", None),
            )

    def _save_inline(self, request, parent, obj) -> None:
        if isinstance(obj, Membership):
            if obj.pk is None:
                services.membership_add(
                    acting_user=request.user,
                    user=obj.user,
                    role=obj.role,
                    office=obj.office,
                    partner=obj.partner,
                    title=obj.title,
                )
            else:
                obj._history_user = request.user
                obj.save(update_fields=["title", "updated_at"])
        elif isinstance(obj, LinkOfficeUserObjectPermission | LinkOfficeGroupObjectPermission):
            # New, or its reason or end changed: granted (again) through the service, which
            # records who and why in the office's history.
            services.office_permission_grant(
                acting_user=request.user,
                office=parent,
                permission=obj.permission.codename,
                user=getattr(obj, "user", None),
                group=getattr(obj, "group", None),
                reason=obj.reason,
                ends_at=obj.ends_at,
            )


@admin.register(LinkOffice)
class LinkOfficeAdmin(ServiceSavingAdmin, GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "city", "country", "status", "opened_on"]
    list_filter = ["status"]
    search_fields = ["code", "name", "city"]
    readonly_fields = ["group"]
    inlines = [OfficeMembershipInline, UserGrantInline, GroupGrantInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "group"] if obj else ["group"]

    # guardian's object-permission pages list the grants; they may not make one, since a grant
    # made there would have no reason, no end and no line in the history.
    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        return self._grant_on_the_office_page(request, object_pk)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        return self._grant_on_the_office_page(request, object_pk)

    def _grant_on_the_office_page(self, request, object_pk):
        messages.error(
            request, "Grant or revoke office permissions on the office's page, with a reason."
        )
        return HttpResponseRedirect(
            reverse("admin:liaison_offices_linkoffice_change", args=[object_pk])
        )

    def save_model(self, request, obj, form, change):
        if change:
            services.office_update(
                acting_user=request.user,
                office=obj,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        else:
            created = services.office_create(
                acting_user=request.user,
                code=obj.code,
                name=obj.name,
                country=obj.country,
                city=obj.city,
                opened_on=obj.opened_on,
                status=obj.status,
            )
            obj.pk = created.pk
            obj.group = created.group


# --- Grantees' pages: users and groups ------------------------------------------------------------
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import GroupAdmin, UserAdmin  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402


class GrantListInline(admin.TabularInline):
    """The office permissions a user or group holds, with why, who granted them and until
    when. Read-only: grants are made and revoked on the office's page."""

    extra = 0
    can_delete = False
    fields = ["content_object", "what", "reason", "state", "granted_by", "granted_at"]
    readonly_fields = fields
    verbose_name = "office permission granted"
    verbose_name_plural = "office permissions granted (made and revoked on the office's page)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("content_object", "permission__content_type", "granted_by")
            .order_by("-granted_at")
        )

    @admin.display(description="state")
    def state(self, obj) -> str:
        return grant_state(obj)

    @admin.display(description="permission")
    def what(self, obj) -> str:
        return permission_label(obj.permission)


class UserGrantListInline(GrantListInline):
    model = LinkOfficeUserObjectPermission
    fk_name = "user"


class GroupGrantListInline(GrantListInline):
    model = LinkOfficeGroupObjectPermission


class MembershipListInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ["office", "partner", "role", "title", "created_at", "ended_at"]
    readonly_fields = fields
    verbose_name_plural = "memberships (made and ended under Memberships)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class HQUserAdmin(UserAdmin):
    """The stock user page, except that groups and permissions cannot be changed on it: an
    office's or partner's group follows its memberships, and an office permission is granted,
    with its reason, on the office's page. Both are listed here."""

    inlines = [MembershipListInline, UserGrantListInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "groups", "user_permissions", "last_login", "date_joined"]


@admin.register(Group)
class HQGroupAdmin(GroupAdmin):
    """Groups with the office permissions granted to them; an office's or partner's own group
    is managed through memberships."""

    inlines = [GroupGrantListInline]

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionsChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ServiceSavingAdmin, SimpleHistoryAdmin):
    list_display = ["name", "short_name", "kind", "country", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]
    readonly_fields = ["group"]
    inlines = [PartnerMembershipInline]

    def save_model(self, request, obj, form, change):
        if change:
            services.partner_update(
                acting_user=request.user,
                partner=obj,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        else:
            created = services.partner_create(
                acting_user=request.user,
                name=obj.name,
                short_name=obj.short_name,
                kind=obj.kind,
                country=obj.country,
                services=obj.services,
            )
            obj.pk = created.pk
            obj.group = created.group


@admin.register(Membership)
class MembershipAdmin(DomainErrorsAsMessages, SimpleHistoryAdmin):
    list_display = ["user", "role", "office", "partner", "title", "created_at", "ended_at"]
    list_filter = ["role", "office", "partner", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "title"]
    autocomplete_fields = ["user"]
    actions = ["end_memberships"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "office", "partner", "role", "ended_at"] if obj else ["ended_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj._history_user = request.user
            obj.save()
            return
        created = services.membership_add(
            acting_user=request.user,
            user=obj.user,
            role=obj.role,
            office=obj.office,
            partner=obj.partner,
            title=obj.title,
        )
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # memberships end; they are never deleted

    @admin.action(description="End the selected memberships")
    def end_memberships(self, request, queryset):
        ended = 0
        for membership in queryset.filter(ended_at__isnull=True):
            services.membership_end(acting_user=request.user, membership=membership)
            ended += 1
        self.message_user(request, f"Ended {ended} membership(s).", messages.SUCCESS)


# --- Notifications: outbox, deliveries, partners' webhooks (docs/architecture.md#the-event-path)
# HQ watches delivery here and retries what failed; nothing here sends anything itself.
from django.db.models import Count, OuterRef, Q, Subquery  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.utils.html import format_html  # noqa: E402

from liaison_offices import delivery as notification_delivery  # noqa: E402
from liaison_offices import notifications  # noqa: E402
from liaison_offices.constants import Channel, DeliveryStatus  # noqa: E402
from liaison_offices.models import Delivery, NotificationEvent, PartnerWebhook  # noqa: E402


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the delivery machinery: HQ looks and retries, never edits."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ["channel", "user", "partner", "status", "attempts", "last_error", "delivered_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "partner")


@admin.register(NotificationEvent)
class NotificationEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "subject_label",
        "status",
        "deliveries_summary",
        "attempts",
        "created_at",
        "dispatched_at",
    ]
    list_filter = ["status", "kind", ("dispatched_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject_label", "dedup_key"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    actions = ["retry_selected"]
    readonly_fields = [
        "kind",
        "subject_type",
        "subject_id",
        "subject_label",
        "subject_url",
        "payload",
        "actor",
        "office_ids",
        "partner_ids",
        "user_ids",
        "check_visibility",
        "dedup_key",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "planned_at",
        "dispatched_at",
    ]

    def get_queryset(self, request):
        # Counts per status in the same query as the page (no query per row).
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
                n_open=Count(
                    "deliveries",
                    filter=Q(
                        deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]
                    ),
                ),
                n_failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            )
        )

    @admin.display(description="deliveries (sent / open / failed)")
    def deliveries_summary(self, obj) -> str:
        return f"{obj.n_sent} / {obj.n_open} / {obj.n_failed}"

    @admin.action(description="Retry the selected events (failed deliveries too)")
    def retry_selected(self, request, queryset):
        count = notification_delivery.retry_events(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Queued {count} event(s) for delivery again.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event_link",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "event__kind"]
    search_fields = ["event__subject_label", "user__username", "partner__name"]
    list_select_related = ["event", "user", "partner"]
    actions = ["retry_selected"]
    readonly_fields = [
        "event",
        "channel",
        "user",
        "partner",
        "status",
        "in_digest",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_at",
        "delivered_at",
        "created_at",
    ]

    @admin.display(description="event", ordering="event")
    def event_link(self, obj) -> str:
        return format_html(
            '<a href="../notificationevent/{}/change/">{}</a>', obj.event_id, obj.event_id
        )

    @admin.display(description="kind", ordering="event__kind")
    def kind(self, obj) -> str:
        return obj.event.get_kind_display()

    @admin.display(description="to")
    def recipient(self, obj) -> str:
        return str(obj.user or obj.partner)

    @admin.action(description="Retry the selected deliveries")
    def retry_selected(self, request, queryset):
        count = notification_delivery.retry_deliveries(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"Queued {count} failed delivery(ies) again.",
            messages.SUCCESS,
        )


@admin.register(PartnerWebhook)
class PartnerWebhookAdmin(admin.ModelAdmin):
    list_display = [
        "partner",
        "url",
        "is_active",
        "skipped_waiting",
        "last_success_at",
        "last_failure_at",
        "consecutive_failures",
        "last_status_code",
        "disabled_reason",
    ]
    list_filter = ["is_active"]
    search_fields = ["partner__name", "url"]
    list_select_related = ["partner"]
    fields = [
        "partner",
        "url",
        "is_active",
        "signing_secret",
        "disabled_reason",
        "disabled_at",
        "last_success_at",
        "last_failure_at",
        "last_status_code",
        "consecutive_failures",
    ]
    readonly_fields = [
        "signing_secret",
        "disabled_reason",
        "disabled_at",
        "last_success_at",
        "last_failure_at",
        "last_status_code",
        "consecutive_failures",
    ]
    actions = ["enable_selected", "replay_skipped", "rotate_secrets"]

    def get_queryset(self, request):
        # The secret is never decrypted for these pages (nor shown): deferred.
        # Deliveries skipped while each webhook was disabled: one subquery on a partial index.
        waiting = (
            Delivery.objects.filter(
                partner_id=OuterRef("partner_id"),
                channel=Channel.WEBHOOK,
                status=DeliveryStatus.SKIPPED,
                replayable=True,
            )
            .order_by()
            .values("partner_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .defer("secret")
            .annotate(skipped_waiting=Coalesce(Subquery(waiting), 0))
        )

    @admin.display(description="Skipped while disabled", ordering="skipped_waiting")
    def skipped_waiting(self, obj) -> int:
        return obj.skipped_waiting

    @admin.action(description="Re-enable the selected webhooks (the partner fixed them)")
    def enable_selected(self, request, queryset):
        webhooks = list(queryset)
        for webhook in webhooks:
            notifications.webhook_enable(acting_user=request.user, webhook=webhook)
        self.message_user(request, f"Re-enabled {len(webhooks)} webhook(s).", messages.SUCCESS)
        waiting = notification_delivery.skipped_while_disabled([w.partner_id for w in webhooks])
        if waiting:
            self.message_user(
                request,
                f"{waiting} delivery(ies) were skipped while disabled. To send them now, select "
                "the webhooks and choose “Replay skipped deliveries”.",
                messages.WARNING,
            )

    @admin.action(description="Replay skipped deliveries (events missed while disabled)")
    def replay_skipped(self, request, queryset):
        replayed, still_disabled = 0, []
        for webhook in queryset.select_related("partner"):
            if not webhook.is_active:
                still_disabled.append(str(webhook.partner))
                continue
            replayed += notifications.webhook_replay_skipped(
                acting_user=request.user, webhook=webhook
            )
        self.message_user(request, f"Queued {replayed} skipped delivery(ies).", messages.SUCCESS)
        if still_disabled:
            self.message_user(
                request,
                "Not replayed, the webhook is still disabled: "
                f"{', '.join(still_disabled)}. Re-enable it first.",
                messages.ERROR,
            )

    @admin.display(description="Signing secret")
    def signing_secret(self, obj) -> str:
        # Never the secret itself: it is shown once, when generated.
        return (
            "Stored encrypted; not shown again. \u201cGenerate new signing secrets\u201d issues "
            "a new one and shows it once."
        )

    def _show_new_secrets(self, request, webhooks) -> TemplateResponse:
        """The one page that shows secrets: right after they were generated, never cached."""
        response = TemplateResponse(
            request,
            "admin/liaison_offices/partnerwebhook/new_secrets.html",
            {
                **self.admin_site.each_context(request),
                "title": "New signing secrets",
                "issued": [(webhook, webhook.secret) for webhook in webhooks],
                "back": reverse("admin:liaison_offices_partnerwebhook_changelist"),
            },
        )
        add_never_cache_headers(response)
        return response

    def response_add(self, request, obj, post_url_continue=None):
        # The secret generated with the webhook: the partner needs it, HQ sees it this once.
        return self._show_new_secrets(request, [obj])

    @admin.action(description="Generate new signing secrets for the selected webhooks")
    def rotate_secrets(self, request, queryset):
        webhooks = [
            notifications.webhook_rotate_secret(acting_user=request.user, webhook=webhook)
            for webhook in queryset.select_related("partner")
        ]
        return self._show_new_secrets(request, webhooks)
