from .books import Book, BookOnShelf, EBook, Loan, Tag
from .people import Author

__all__ = ["Author", "Book", "BookOnShelf", "EBook", "Loan", "Tag"]
