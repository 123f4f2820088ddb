from django.db import migrations, models


def mark_defaults(apps, schema_editor):
    """Consults booked with the default message left as it was get it in each participant's language too."""
    Organisation = apps.get_model("accounts", "Organisation")
    Appointment = apps.get_model("scheduling", "Appointment")
    for organisation in Organisation.objects.all():
        texts = {text.strip() for text in (organisation.default_message_nl, organisation.default_message_en)}
        texts.discard("")
        if texts:
            Appointment.objects.filter(organisation=organisation, message__in=texts).update(uses_default_message=True)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_default_message_per_language'),
        ('scheduling', '0004_retention'),
    ]

    operations = [
        migrations.AddField(
            model_name='appointment',
            name='uses_default_message',
            field=models.BooleanField(default=False, verbose_name="organisation's default message"),
        ),
        migrations.RunPython(mark_defaults, migrations.RunPython.noop),
    ]
