from django.contrib import admin

from .models import Customer, Order, Product, Shipment


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "created_at"]
    search_fields = ["email", "name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "active"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]


class ShipmentInline(admin.StackedInline):
    model = Shipment
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "customer", "product", "quantity", "status", "placed_at"]
    list_filter = ["status"]
    search_fields = ["reference", "customer__email"]
    readonly_fields = ["reference"]
    fields = ["reference", "customer", "product", "quantity", "status", "note", "placed_at"]
    inlines = [ShipmentInline]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_code", "shipped_at"]
    search_fields = ["tracking_code", "order__reference"]
