"""Lending: the rules the desk staff and the self-service kiosk share."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .models import Book, BookOnShelf, Loan, Tag


class AlreadyLent(Exception):
    pass


@transaction.atomic
def lend(book: Book, borrower) -> Loan:
    # The partial unique constraint has the last word; this gives the nicer message.
    if Loan.objects.open().filter(book=book).exists():
        raise AlreadyLent(f"{book} is out")
    return Loan.objects.create(book=book, borrower=borrower)


def give_back(loan: Loan) -> None:
    loan.returned_on = timezone.localdate()
    loan.save(update_fields=["returned_on"])


def overdue_loans():
    return Loan.objects.overdue().select_related("book__author", "borrower")


def newest_book() -> Book:
    return Book.objects.published().latest()


def on_shelf_with_tag(slug: str):
    return BookOnShelf.objects.filter(tags__slug=slug).select_related("author")


def tag_book(book: Book, *names: str) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in names]
    book.tags.add(*tags)


def popular_tags(limit: int = 10):
    return Tag.objects.annotate(n=Count("books")).order_by("-n", "name")[:limit]
