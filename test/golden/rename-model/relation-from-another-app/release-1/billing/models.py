from django.db import models


class Invoice(models.Model):
    account = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="invoices")
    # Invoice numbers are digits, but were kept as text since the first import.
    number = models.CharField(max_length=20, unique=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    issued_on = models.DateField()
    # The account that approved it: an id kept without a foreign key since the first import.
    approved_by_id = models.IntegerField(null=True, blank=True)

    def __str__(self):
        return f"Invoice {self.number}"
