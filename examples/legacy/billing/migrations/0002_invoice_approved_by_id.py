from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="approved_by_id",
            field=models.IntegerField(blank=True, null=True),
        ),
    ]
