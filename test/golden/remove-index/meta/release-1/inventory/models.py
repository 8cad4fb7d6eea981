from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.choices import STATUS_ACTIVE, STATUS_CHOICES, Currency
from core.models import PrimaryModel, TimeStampedModel
from core.utils import default_code
from core.validators import CODE_VALIDATOR, validate_no_surrounding_whitespace


class Site(PrimaryModel):
    code = models.CharField(
        max_length=16, unique=True, default=default_code, validators=[CODE_VALIDATOR]
    )
    name = models.CharField(
        max_length=100, validators=[validate_no_surrounding_whitespace]
    )
    status = models.CharField(
        max_length=20, choices=STATUS_CHOICES, default=STATUS_ACTIVE
    )
    currency = models.CharField(
        max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    aliases = ArrayField(
        models.TextField(), verbose_name="other names", default=list, blank=True
    )
    # The column kept the name of the spreadsheet the first sites were imported from.
    facility = models.CharField(max_length=50, blank=True, db_column="facility_ref")
    custom_field_data = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder
    )

    class Meta:
        db_table = "inventory_site"
        ordering = ["name"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Rack(PrimaryModel):
    # Racks are labelled with the site's code, so the column holds the code, not the id.
    site = models.ForeignKey(
        Site, to_field="code", on_delete=models.PROTECT, related_name="racks"
    )
    name = models.CharField(max_length=64)
    asset_tag = models.CharField(max_length=50, unique=True, null=True, blank=True)
    u_height = models.PositiveSmallIntegerField(
        default=42, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["site", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"], name="stock_rack_unique_site_name"
            ),
        ]

    def __str__(self):
        return f"{self.site_id}/{self.name}"


class JournalEntry(TimeStampedModel):
    class Kind(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        DANGER = "danger", "Danger"

    assigned_object_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+"
    )
    assigned_object_id = models.PositiveBigIntegerField()
    assigned_object = GenericForeignKey("assigned_object_type", "assigned_object_id")
    # The kind of object whose code wrote the entry (a plain foreign key to ContentType).
    origin_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INFO)
    comments = models.TextField()

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(
                fields=["assigned_object_type", "assigned_object_id"],
                name="stock_journal_object_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.comments[:40]}"


class Vendor(models.Model):
    """Who supplies the racks, keyed by the code on their invoices."""

    code = models.CharField(primary_key=True, max_length=12)
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name
