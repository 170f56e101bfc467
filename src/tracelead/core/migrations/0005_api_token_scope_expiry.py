# API tokens get a scope, an expiry, a last-used time and revocation (issue 9).
# Tokens made before keep what they could do (read-write) and expire 90 days from this
# migration, whatever TRACELEAD_API_TOKEN_DAYS says, so that the upgrade is predictable.

import datetime

from django.db import migrations, models
from django.utils import timezone

import tracelead.core.models


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.update(expires_at=timezone.now() + datetime.timedelta(days=90))


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_audit_actions'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='apitoken',
            options={'ordering': ['-created_at']},
        ),
        migrations.AddField(
            model_name='apitoken',
            name='scope',
            field=models.CharField(choices=[('read', 'Read'), ('read-write', 'Read and write')], default='read-write', max_length=20),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(default=tracelead.core.models.api_token_expiry),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
