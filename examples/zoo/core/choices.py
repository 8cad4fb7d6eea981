"""Choices shared by several apps."""

from django.db import models

STATUS_PLANNED = "planned"
STATUS_ACTIVE = "active"
STATUS_RETIRED = "retired"

STATUS_CHOICES = [
    (STATUS_PLANNED, "Planned"),
    (STATUS_ACTIVE, "Active"),
    (STATUS_RETIRED, "Retired"),
]


class Currency(models.TextChoices):
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    USD = "USD", "US dollar"
