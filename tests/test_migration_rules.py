"""Migrations that can run while the previous version still serves (docs/operations.md,
"Upgrades while serving"): expand first, contract a release later.

Every migration written after these rules (not in ``BEFORE_THE_RULES``) may only add:
tables, nullable columns or columns with a database default, indexes and constraints. A
rename or removal, or a change of a column, must be listed in ``CONTRACTIONS`` with the
release whose code stopped using the old shape, which a reviewer then checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import NOT_PROVIDED

# Written before the rules (the first deployments had no rolling upgrades).
BEFORE_THE_RULES = {
    ("academy", "0001_initial"), ("academy", "0002_exchange_proposal"),
    ("academy", "0003_member_pending_link"), ("accounts", "0001_sign_in_failures"),
    ("actions", "0001_initial"), ("core", "0001_initial"), ("core", "0002_cache_table"),
    ("core", "0003_audit_event"), ("core", "0004_audit_actions"),
    ("core", "0005_api_token_scope_expiry"), ("diagnostics", "0001_initial"),
    ("diagnostics", "0002_response_packed"),
    ("diagnostics", "0003_cycles_and_hashed_links"),
    ("diagnostics", "0004_private_drafts_and_verified_open_links"),
    ("evaluation", "0001_initial"), ("messaging", "0001_initial"),
    ("network", "0001_initial"), ("network", "0002_networkpublication"),
    ("organisations", "0001_initial"), ("organisations", "0002_membership_scope"),
    ("organisations", "0003_name_uniqueness_within_scope"),
    ("organisations", "0004_system_respondent_information"),
    ("organisations", "0005_system_logo"), ("polls", "0001_initial"),
    ("publishing", "0001_initial"), ("strategy", "0001_initial"),
    ("strategy", "0002_outcomes_and_milestones"), ("words", "0001_initial"),
    ("words", "0002_form_item_themes"),
}
# (app, migration, operation index): the release whose code no longer used what it removes.
CONTRACTIONS: dict[tuple[str, str, int], str] = {}
CONTRACTING = {"RemoveField", "RenameField", "RenameModel", "DeleteModel", "AlterField",
               "RemoveConstraint", "RemoveIndex", "RunSQL", "RunPython"}


def _ours() -> list[tuple[str, str, Any]]:
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    labels = {c.label for c in apps.get_app_configs() if c.name.startswith("tracelead.")}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted((app, name, m) for (app, name), m in loader.disk_migrations.items()
                  if app in labels)


@pytest.mark.no_database
def test_new_migrations_only_expand() -> None:
    problems = []
    for app, name, migration in _ours():
        if (app, name) in BEFORE_THE_RULES:
            continue
        made = {op.name.lower() for op in migration.operations
                if type(op).__name__ == "CreateModel"}
        for index, op in enumerate(migration.operations):
            kind = type(op).__name__
            if kind in CONTRACTING and (app, name, index) not in CONTRACTIONS:
                problems.append(f"{app}.{name} #{index}: {kind} (list it in CONTRACTIONS)")
            if (kind == "AddField" and op.model_name not in made and not op.field.null
                    and not op.field.many_to_many and op.field.db_default is NOT_PROVIDED):
                problems.append(f"{app}.{name} #{index}: {op.model_name}.{op.name} is "
                                    "NOT NULL without a database default: the old version "
                                    "would fail to insert rows")
    assert not problems, problems


@pytest.mark.no_database
def test_the_grandfathered_list_names_real_migrations() -> None:
    found = {(app, name) for app, name, _m in _ours()}
    assert found >= BEFORE_THE_RULES, BEFORE_THE_RULES - found


@pytest.mark.django_db
def test_the_migrations_make_the_schema_the_models_describe() -> None:
    """The test databases are made from the models (tests/conftest.py), so the migrations
    must make exactly that schema: no change to a model may be left without its migration.
    (The migrations themselves run, on SQLite and on PostgreSQL, in the tests that start
    tracelead in processes of its own: tests/cluster, tests/messaging/test_worker_crash.py,
    tests/security/test_storage.py.)"""
    from django.core.management import call_command

    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as missing:
        call_command("makemigrations", "--dry-run", verbosity=1)
        pytest.fail(f"a model has changed without a migration (exit {missing.code}); see "
                    "the output above")
