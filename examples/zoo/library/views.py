from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Author, Book


def author_books(request, author_id):
    author = get_object_or_404(Author, pk=author_id)
    books = Book.objects.by(author).published().values("id", "title", "published")
    return JsonResponse({"author": str(author), "books": list(books)})
