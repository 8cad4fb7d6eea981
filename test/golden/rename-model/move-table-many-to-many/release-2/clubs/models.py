from django.db import models

from library.models import Tag


class Circle(models.Model):
    """A reading club; it reads the books of the tags it follows."""

    name = models.CharField(max_length=100)
    founded = models.DateField(null=True, blank=True)
    # An auto-created many-to-many table: clubs_club_topics (club_id, tag_id).
    topics = models.ManyToManyField(Tag, blank=True, related_name="clubs")

    def __str__(self):
        return self.name
