from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    # The app was called "stock" once; the label keeps its migrations and permissions.
    label = "stock"
    verbose_name = "Inventory"
