from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("orders/<str:reference>/", views.order_detail, name="order-detail"),
]
