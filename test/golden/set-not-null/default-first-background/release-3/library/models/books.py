from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from .people import Author

LOAN_PERIOD = timedelta(weeks=3)


def default_due_back():
    return timezone.localdate() + LOAN_PERIOD


class Tag(models.Model):
    slug = models.CharField(primary_key=True, max_length=50)
    name = models.CharField(max_length=50, unique=True)
    # Printed on the shelf labels.
    colour = models.CharField(max_length=7, default="#888888")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)


class BookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published__lte=timezone.localdate())

    def by(self, author):
        return self.filter(author=author)


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="books")
    isbn = models.CharField("ISBN", max_length=13, blank=True)
    published = models.DateField(null=True, blank=True)
    pages = models.PositiveIntegerField(blank=True, default=0)
    summary = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="books")

    objects = BookQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "title"]
        get_latest_by = "published"
        unique_together = [("author", "title")]
        indexes = [
            models.Index(
                fields=["author", "published"], name="library_book_author_pub_idx"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # ISBNs are typed with hyphens and spaces; they are stored as bare digits.
        self.isbn = self.isbn.replace("-", "").replace(" ", "")
        super().save(*args, **kwargs)


class EBook(Book):
    FORMAT_CHOICES = [("epub", "EPUB"), ("pdf", "PDF")]

    file_format = models.CharField(max_length=4, choices=FORMAT_CHOICES, default="epub")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    download_url = models.URLField(blank=True)


class OnShelfManager(models.Manager):
    def get_queryset(self):
        open_loans = Loan.objects.filter(book=OuterRef("pk"), returned_on__isnull=True)
        return super().get_queryset().exclude(Exists(open_loans))


class BookOnShelf(Book):
    """The books nobody has borrowed right now, for the shelf check."""

    objects = OnShelfManager()

    class Meta:
        proxy = True
        verbose_name = "book on the shelf"
        verbose_name_plural = "books on the shelf"


class LoanManager(models.Manager):
    def open(self):
        return self.filter(returned_on__isnull=True)

    def overdue(self):
        return self.open().filter(due_back__lt=timezone.localdate())


class Loan(models.Model):
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="loans"
    )
    lent_on = models.DateField(default=timezone.localdate)
    due_back = models.DateField(default=default_due_back)
    returned_on = models.DateField(null=True, blank=True)

    objects = LoanManager()

    class Meta:
        ordering = ["due_back"]
        constraints = [
            models.UniqueConstraint(
                fields=["book"],
                condition=Q(returned_on__isnull=True),
                name="library_loan_one_open_per_book",
            ),
            models.CheckConstraint(
                condition=Q(due_back__gte=F("lent_on")),
                name="library_loan_due_after_lent",
            ),
        ]

    def __str__(self):
        return f"{self.book} to {self.borrower} until {self.due_back}"
