from django.db import migrations
from django.db.models import Max, OuterRef, Subquery


def last_announced_at_from_announcements(apps, schema_editor):
    """Tests announced to before 0008 say so, or running attempts' snapshots would leave them out."""
    Test = apps.get_model("assessments", "Test")
    TestAnnouncement = apps.get_model("assessments", "TestAnnouncement")
    latest = (
        TestAnnouncement.objects.filter(test=OuterRef("pk"))
        .order_by()
        .values("test")
        .annotate(latest=Max("created_at"))
        .values("latest")
    )
    Test.objects.filter(announcements__isnull=False).update(last_announced_at=Subquery(latest[:1]))


class Migration(migrations.Migration):
    dependencies = [("assessments", "0008_working_state")]

    operations = [migrations.RunPython(last_announced_at_from_announcements, migrations.RunPython.noop)]
