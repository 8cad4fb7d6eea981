from django.db import models


class Account(models.Model):
    # The key is the project's default auto field: a 32-bit integer, about to run out.
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    visits = models.IntegerField(default=0)
    balance = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    def __str__(self):
        return self.name


class Profile(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE)
    bio = models.TextField(blank=True, default="")
