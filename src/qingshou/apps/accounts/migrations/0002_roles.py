# The nine roles as groups with their permissions (qingshou.apps.accounts.roles.ROLE_PERMISSIONS).
# Idempotent: groups are created if missing and their permissions set to the matrix; every later migrate
# re-syncs them (post_migrate), so permissions of apps migrated after this one reach the groups too.

from django.db import migrations

from qingshou.apps.accounts.roles import ensure_permissions, sync_role_groups


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    sync_role_groups(apps, strict=False)  # apps migrated later are granted by the post_migrate sync


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('audit', '0001_initial'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('cases', '0004_case_workbench_assignment'),
        ('contacts', '0001_initial'),
        ('eod', '0001_initial'),
        ('loans', '0002_limitationinterruption'),
        ('strategy', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
