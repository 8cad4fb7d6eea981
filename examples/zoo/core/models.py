"""Abstract bases shared by the other apps; core has no tables of its own."""

from django.db import models


class TimeStampedModel(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PrimaryModel(TimeStampedModel):
    """The base of every object people manage by hand: free text beside the data."""

    description = models.CharField(max_length=200, blank=True)
    comments = models.TextField(blank=True)

    class Meta:
        abstract = True
