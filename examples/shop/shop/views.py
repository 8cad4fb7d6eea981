from django.shortcuts import get_object_or_404, render

from .models import Order
from .services import BULK_ORDER_QUANTITY


def order_detail(request, reference):
    orders = Order.objects.select_related("customer", "product")
    order = get_object_or_404(orders, reference=reference)
    context = {
        "order": order,
        "needs_review": order.quantity >= BULK_ORDER_QUANTITY,
    }
    return render(request, "shop/order_detail.html", context)
