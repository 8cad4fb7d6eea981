"""The example shop's own checks for bg-scaffold's verify engine (BG_VERIFY_EXTENSION).

The matrix drives the shop's Order with its customers, products and shipments: orders share two
parent rows, the seed writes edge values and shipments with NULLs, and every exercise proves the
cascades hold whichever release deletes (an order's shipment goes with it, a product's orders
with it), including in the releases where a change took Django's foreign key away. Each hook is
given the engine's module, `d`.
"""

import random


def models():
    from shop import models

    # A release that renamed the order model (rename-model) knows it as Purchase.
    order = getattr(models, "Order", None) or models.Purchase
    return models.Customer, order, models.Product


def optional_model(name):
    """A model of the shop app, or None when this release's code no longer has it."""
    from django.apps import apps

    try:
        return apps.get_model("shop", name)
    except LookupError:
        return None


def order_parents(d, customer, product):
    """customer= and product=, as far as this release's Order still has them."""
    _, Order, _ = models()
    return d.own_fields(Order, customer=customer, product=product)


def parents(d):
    Customer, _, Product = models()
    customer, _ = Customer.objects.get_or_create(
        email="matrix@example.com", defaults={"name": "Matrix"}
    )
    product, _ = Product.objects.get_or_create(
        sku="MATRIX-1",
        defaults=d.own_fields(Product, name="Matrix product", price="9.99"),
    )
    return customer, product


def new_row(d, model, values):
    """Orders share the matrix's customer and product; the rest is filled as for any model."""
    return d.fill(model, {**order_parents(d, *parents(d)), **values})


def seed(d, field, rows):
    """Orders with edge values, customers, products, shipments with NULLs."""
    from django.db import transaction

    Customer, Order, Product = models()
    Shipment = optional_model("Shipment")

    edges = [0, 1, -1, 2_147_483_647, -2_147_483_648]
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            [
                Customer(email=f"c{i}@example.com", name=f"Customer {i} ünïcode")
                for i in range(20)
            ]
        )
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=f"SKU-{i}", name=f"Product {i}", price="1.50", active=i % 2 == 0
                )
                for i in range(10)
            ]
        )
        orders = Order.objects.bulk_create(
            [
                Order(
                    **order_parents(
                        d, customers[i % len(customers)], products[i % len(products)]
                    ),
                    reference=f"SEED-{i:06d}",
                    note="" if i % 3 else f"note {i}",
                    **{field: edges[i] if i < len(edges) else i},
                )
                for i in range(rows)
            ]
        )
        if Shipment is not None:
            Shipment.objects.bulk_create(
                [
                    Shipment(order=o, carrier="DHL", shipped_at=None)
                    for o in orders[:100]
                ]
            )
    return {str(o.pk): getattr(o, field) for o in orders}


def after_exercise(d, run, pk, field, base):
    """The shop's cascades: an order's shipments go with it, a product's orders with it."""
    _, Order, _ = models()
    shipment_model = optional_model("Shipment")
    if shipment_model is not None:
        run.step(
            "create-shipment",
            lambda: shipment_model.objects.create(order_id=pk, carrier="UPS"),
        )

    def delete_with_shipment():
        # An order another release gave a shipment: whether or not this release still has
        # the Shipment model, deleting the order must take the shipment with it.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('shop_shipment') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return
            cursor.execute(
                "SELECT order_id FROM shop_shipment ORDER BY order_id LIMIT 1"
            )
            row = cursor.fetchone()
        if row is None:
            return
        Order.objects.filter(pk=row[0]).delete()
        if Order.objects.filter(pk=row[0]).exists():
            raise AssertionError("order with a shipment was not deleted")
        run.deleted.append(row[0])
        return row[0]

    deleted = run.step("delete-with-shipment", delete_with_shipment)

    def shipment_went_too():
        # Checked after the delete committed, as another request would see it.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM shop_shipment WHERE order_id = %s", [deleted]
            )
            if cursor.fetchone()[0]:
                raise AssertionError(
                    f"the shipment of deleted order {deleted} is still there (an orphan)"
                )

    if deleted is not None:
        run.step("shipment-of-deleted-order-gone", shipment_went_too)
    product = run.step("delete-product-with-orders", delete_product_with_orders)
    if product is not None:
        run.step("orders-of-deleted-product-gone", lambda: orders_went_too(product))
    run.step(
        "create-product-with-order", lambda: create_product_with_order(d, field, base)
    )


def column_exists(table, column):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [table, column],
        )
        return cursor.fetchone() is not None


def delete_product_with_orders():
    """Deletes a product that another release's order points at: its orders must go too.

    Order.product is on_delete=CASCADE. A release whose Order still has the field cascades in
    Python; one without it deletes only the product, and the database must cascade.
    """
    from django.db import connection

    _, _, Product = models()
    if not column_exists("shop_order", "product_id"):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id FROM shop_product p WHERE p.sku LIKE %s"
            " AND EXISTS (SELECT 1 FROM shop_order o WHERE o.product_id = p.id)"
            " ORDER BY p.id DESC LIMIT 1",
            ["EX-%"],
        )
        row = cursor.fetchone()
    if row is None:
        return
    Product.objects.filter(pk=row[0]).delete()
    return row[0]


def orders_went_too(product):
    """Checked after the delete committed, as another request would see it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM shop_order WHERE product_id = %s", [product]
        )
        left = cursor.fetchone()[0]
    if left:
        raise AssertionError(
            f"{left} orders still point at deleted product {product} (orphans)"
        )


def create_product_with_order(d, field, base):
    """A product of this release, and an order pointing at it when Order still has product."""
    Customer, Order, Product = models()
    product = Product.objects.create(
        **d.own_fields(
            Product,
            sku=f"EX-{base}-{random.randint(0, 10**9)}",
            name="Exercise",
            price="2.50",
        )
    )
    if d.has_field(Order, "product"):
        customer = Customer.objects.get(email="matrix@example.com")
        Order.objects.create(
            customer=customer, product=product, **d.extra(), **{field: base}
        )
