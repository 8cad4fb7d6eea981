import uuid

from django.db import models


class Writer(models.Model):
    # Authors are shared with the catalogue service, which hands out the ids.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    born = models.DateField(null=True, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Pseudonym(models.Model):
    """A name an author also publishes under."""

    # Handed out by the catalogue service, like the authors' ids.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        Writer, on_delete=models.CASCADE, related_name="pseudonyms"
    )
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name
