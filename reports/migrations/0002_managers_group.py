"""Create the "Managers" group with the permission to view the reports.

Permissions are normally created after all migrations (post_migrate), so this migration
creates the content type and the permission itself; post_migrate then finds them present.
"""

from django.db import migrations

GROUP_NAME = "Managers"
PERMISSION_CODENAME = "view_reports"
PERMISSION_NAME = "Can view the report pages"


def create_managers_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    db = schema_editor.connection.alias

    content_type, _ = ContentType.objects.using(db).get_or_create(
        app_label="reports", model="reportaccess"
    )
    permission, _ = Permission.objects.using(db).get_or_create(
        content_type=content_type,
        codename=PERMISSION_CODENAME,
        defaults={"name": PERMISSION_NAME},
    )
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def remove_managers_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_managers_group, remove_managers_group)]
