"""Rounds belong to reporting cycles (which carry the thresholds); links are stored hashed.

Existing rounds of a system move into one cycle, "Earlier rounds", whose thresholds are the
strictest its rounds had (never lower than before). Existing links keep working: their
tokens are replaced by their SHA-256 hashes.
"""

import hashlib

import django.db.models.deletion
from django.db import migrations, models


def into_cycles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Assessment = apps.get_model("diagnostics", "Assessment")
    Cycle = apps.get_model("publishing", "Cycle")
    by_system = {}
    for a in Assessment.objects.select_related("group").order_by("opens_on", "id"):
        by_system.setdefault(a.group.system_id, []).append(a)
    for system_id, rounds in by_system.items():
        threshold = max(a.threshold for a in rounds)
        comments = max(max(a.comment_threshold for a in rounds), threshold)
        # One round per group per cycle: later rounds of a group go into further cycles.
        cycles = []
        for a in rounds:
            for cycle, groups in cycles:
                if a.group_id not in groups:
                    break
            else:
                cycle = Cycle.objects.create(
                    system_id=system_id,
                    name="Earlier rounds" if not cycles else f"Earlier rounds {len(cycles) + 1}",
                    threshold=threshold,
                    comment_threshold=comments,
                )
                groups = set()
                cycles.append((cycle, groups))
            groups.add(a.group_id)
            a.cycle = cycle
            a.save(update_fields=["cycle"])


def hash_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    Invitation = apps.get_model("diagnostics", "Invitation")
    batch = []
    for invitation in Invitation.objects.all().iterator(chunk_size=2000):
        invitation.token_hash = hashlib.sha256(invitation.token.encode()).hexdigest()
        batch.append(invitation)
        if len(batch) == 2000:
            Invitation.objects.bulk_update(batch, ["token_hash"])
            batch = []
    Invitation.objects.bulk_update(batch, ["token_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("diagnostics", "0002_response_packed"),
        ("publishing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="cycle",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="assessments", to="publishing.cycle"),
        ),
        migrations.RunPython(into_cycles, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assessment",
            name="cycle",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="assessments", to="publishing.cycle"),
        ),
        migrations.RemoveConstraint(model_name="assessment", name="thresholds_at_least_floor"),
        migrations.RemoveField(model_name="assessment", name="threshold"),
        migrations.RemoveField(model_name="assessment", name="comment_threshold"),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.UniqueConstraint(fields=("cycle", "group"), name="one_round_per_group_in_cycle"),
        ),
        migrations.AddField(model_name="assessment", name="open_link_verify", field=models.BooleanField(default=False)),
        migrations.AddField(model_name="assessment", name="open_link_domains", field=models.CharField(blank=True, max_length=500)),
        migrations.AddField(model_name="invitation", name="token_hash", field=models.CharField(max_length=64, null=True)),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.AlterField(model_name="invitation", name="token_hash", field=models.CharField(max_length=64, unique=True)),
        migrations.RemoveField(model_name="invitation", name="token"),
        migrations.AddField(model_name="responsedraft", name="holder_hash", field=models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField(model_name="responsedraft", name="resume_hash", field=models.CharField(blank=True, default="", max_length=128)),
        migrations.AddField(
            model_name="response",
            name="publication",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="responses", to="publishing.publication"),
        ),
    ]
