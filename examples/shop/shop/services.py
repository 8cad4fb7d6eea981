"""Order-taking logic shared by the views, the admin and the back-office scripts."""

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from .models import Customer, Order, Product, Shipment

# Orders at or above this many units are checked by hand before they ship.
BULK_ORDER_QUANTITY = 50


def place_order(customer: Customer, product: Product, quantity: int, note: str = "") -> Order:
    if quantity < 1:
        raise ValueError("an order needs at least one unit")
    if not product.active:
        raise ValueError(f"{product.sku} is no longer sold")
    return Order.objects.create(customer=customer, product=product, quantity=quantity, note=note)


def add_units(order: Order, extra: int) -> None:
    # F() lets the database add the units, so two concurrent updates do not overwrite each other.
    Order.objects.filter(pk=order.pk).update(quantity=F("quantity") + extra)
    order.refresh_from_db(fields=["quantity"])


def bulk_orders_to_review():
    pending = Order.objects.filter(status="new", quantity__gte=BULK_ORDER_QUANTITY)
    return pending.select_related("customer", "product")


def units_sold(product: Product) -> int:
    totals = product.orders.exclude(status="cancelled").aggregate(units=Sum("quantity"))
    return totals["units"] or 0


def revenue_by_product():
    line_total = ExpressionWrapper(
        F("quantity") * F("product__price"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    return (
        Order.objects.exclude(status="cancelled")
        .values("product__sku")
        .annotate(units=Sum("quantity"), revenue=Sum(line_total))
        .order_by("product__sku")
    )


@transaction.atomic
def ship(order: Order, carrier: str, tracking_code: str = "") -> Shipment:
    shipment = Shipment.objects.create(order=order, carrier=carrier, tracking_code=tracking_code)
    order.status = "shipped"
    order.save(update_fields=["status"])
    return shipment
