from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0005_push"),
    ]

    operations = [
        migrations.CreateModel(
            name="IntegrationKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="Who uses it, e.g. 'accounting mirror'", max_length=100)),
                ("channels", models.JSONField(default=list, help_text="The channels it may read")),
                (
                    "prefix",
                    models.CharField(editable=False, help_text="The key's first characters, to recognise it", max_length=12),
                ),
                (
                    "digest",
                    models.CharField(editable=False, help_text="SHA-256 of the key, hex", max_length=64, unique=True),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, help_text="Set to revoke: the key is refused from then on", null=True),
                ),
            ],
            options={"ordering": ["name", "id"]},
        ),
    ]
