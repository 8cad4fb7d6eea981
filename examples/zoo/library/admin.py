from django.contrib import admin

from .models import Author, Book, BookOnShelf, EBook, Loan, Tag


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "born"]
    search_fields = ["last_name", "first_name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Book, EBook)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "published", "isbn"]
    list_filter = ["tags"]
    search_fields = ["title", "isbn", "author__last_name"]
    date_hierarchy = "published"


@admin.register(BookOnShelf)
class BookOnShelfAdmin(BookAdmin):
    pass


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ["book", "borrower", "lent_on", "due_back", "returned_on"]
    list_filter = ["returned_on"]
    raw_id_fields = ["book", "borrower"]
