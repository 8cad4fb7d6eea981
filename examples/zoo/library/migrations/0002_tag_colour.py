from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="colour",
            field=models.CharField(default="#888888", max_length=7),
        ),
    ]
