# The audit trail is append-only in the database itself: triggers refuse UPDATE and DELETE
# (SQLite: RAISE(ABORT); PostgreSQL: a plpgsql function raising an exception). See qingshou.apps.audit.triggers.

from django.db import migrations

from qingshou.apps.audit import triggers


def install(apps, schema_editor):
    triggers.apply(schema_editor.connection, install=True)


def remove(apps, schema_editor):
    triggers.apply(schema_editor.connection, install=False)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
