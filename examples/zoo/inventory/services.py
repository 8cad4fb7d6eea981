"""Site and rack bookkeeping used by the admin actions and the import scripts."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from core.choices import STATUS_ACTIVE, STATUS_RETIRED

from .models import JournalEntry, Rack, Site


def find_site(name_or_alias: str) -> Site | None:
    sites = Site.objects.filter(status=STATUS_ACTIVE)
    return (
        sites.filter(name__iexact=name_or_alias).first()
        or sites.filter(aliases__contains=[name_or_alias]).first()
    )


def racks_at(site_code: str):
    # Rack.site points at Site.code, so the code is the column value: no join needed.
    return Rack.objects.filter(site_id=site_code).order_by("name")


def sites_in_currency(currency: str):
    return Site.objects.filter(currency=currency).exclude(status=STATUS_RETIRED)


def journal(obj, comments: str, kind=JournalEntry.Kind.INFO) -> JournalEntry:
    return JournalEntry.objects.create(
        assigned_object=obj, kind=kind, comments=comments
    )


def journal_of(obj):
    return JournalEntry.objects.filter(
        assigned_object_type=ContentType.objects.get_for_model(obj),
        assigned_object_id=obj.pk,
    )


@transaction.atomic
def retire(site: Site, reason: str) -> None:
    site.status = STATUS_RETIRED
    site.custom_field_data["retired_because"] = reason
    site.save(update_fields=["status", "custom_field_data", "updated"])
    # Child sites move up to the retired site's parent rather than losing their place.
    site.children.update(parent=site.parent)
    journal(site, f"Retired: {reason}", kind=JournalEntry.Kind.WARNING)
