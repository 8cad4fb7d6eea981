from django.urls import path

from . import views

app_name = "library"

urlpatterns = [
    path("authors/<uuid:author_id>/books/", views.author_books, name="author-books"),
]
