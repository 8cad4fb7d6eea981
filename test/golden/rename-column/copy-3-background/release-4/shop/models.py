import uuid

from django.db import models
from django.utils import timezone


class Customer(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} <{self.email}>"


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    # Inactive products stay in old orders but are hidden from the catalogue.
    active = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.sku} {self.name}"


class Order(models.Model):
    # PROTECT: a customer with orders is never deleted by accident.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="orders")
    qty = models.IntegerField()
    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20,
        # "new" -> "paid" -> "shipped"; the back office filters on it, hence the index.
        default="new",
        db_index=True,
    )
    note = models.TextField(blank=True, default="")
    placed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self):
        return f"Order {self.reference}"

    def save(self, *args, **kwargs):
        # References are handed to customers, so they are short and never reused.
        if not self.reference:
            self.reference = uuid.uuid4().hex[:12].upper()
        super().save(*args, **kwargs)

    @property
    def total(self):
        return self.product.price * self.quantity


class Shipment(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE)
    carrier = models.CharField(max_length=50)
    tracking_code = models.CharField(max_length=64, blank=True, db_index=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.carrier} {self.tracking_code or '(no tracking yet)'}"
