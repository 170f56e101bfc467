import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("organisations", "0002_membership_scope"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Cycle",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("threshold", models.PositiveSmallIntegerField(default=5, validators=[django.core.validators.MinValueValidator(3)])),
                ("comment_threshold", models.PositiveSmallIntegerField(default=10, validators=[django.core.validators.MinValueValidator(3)])),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                ("system", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="cycles", to="organisations.system")),
            ],
            options={
                "ordering": ["system_id", "created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("system", "name"), name="cycle_name_unique"),
                    models.CheckConstraint(condition=models.Q(("threshold__gte", 3), ("comment_threshold__gte", models.F("threshold"))), name="cycle_thresholds_valid"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Publication",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("kind", models.CharField(choices=[("close", "Rounds closed"), ("point", "Publishing point while a round is open")], max_length=10)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("note", models.CharField(blank=True, max_length=300)),
                ("table", models.JSONField(default=dict)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                ("cycle", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="publications", to="publishing.cycle")),
            ],
            options={
                "ordering": ["cycle_id", "number"],
                "constraints": [models.UniqueConstraint(fields=("cycle", "number"), name="publication_number_unique")],
            },
        ),
    ]
