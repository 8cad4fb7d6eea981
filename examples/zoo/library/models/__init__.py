from .books import Book, BookOnShelf, EBook, Loan, Tag
from .people import Author, Pseudonym

__all__ = ["Author", "Book", "BookOnShelf", "EBook", "Loan", "Pseudonym", "Tag"]
