from django.db import migrations, models


def to_its_language(apps, schema_editor):
    """The one default message was written in the organisation's own language: it moves to that field."""
    Organisation = apps.get_model("accounts", "Organisation")
    for organisation in Organisation.objects.filter(default_language="en").exclude(default_message_nl=""):
        organisation.default_message_en, organisation.default_message_nl = organisation.default_message_nl, ""
        organisation.save(update_fields=["default_message_nl", "default_message_en"])


def back_to_one(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    for organisation in Organisation.objects.filter(default_language="en").exclude(default_message_en=""):
        organisation.default_message_nl = organisation.default_message_en
        organisation.save(update_fields=["default_message_nl"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_one_line_names'),
    ]

    operations = [
        migrations.RenameField(
            model_name='organisation',
            old_name='default_message',
            new_name='default_message_nl',
        ),
        migrations.AddField(
            model_name='organisation',
            name='default_message_en',
            field=models.TextField(blank=True, default=''),
            preserve_default=False,
        ),
        migrations.RunPython(to_its_language, back_to_one),
        migrations.AlterField(
            model_name='organisation',
            name='default_message_en',
            field=models.TextField(blank=True, help_text='What English-speaking participants receive when the assistant leaves the default message as it is; empty sends them no message then.', verbose_name='default message (English)'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='default_message_nl',
            field=models.TextField(blank=True, help_text='Pre-filled in the message field of a new booking. Left as it is, Dutch-speaking participants receive this text and English-speaking ones the English default. No greeting or closing: the message adds them.', verbose_name='default message (Dutch)'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='invitation_text_en',
            field=models.TextField(blank=True, help_text='Replaces the standard introduction of the invitation to English-speaking participants; empty uses the standard text. No greeting or closing: the message adds them.', verbose_name='invitation text (English)'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='invitation_text_nl',
            field=models.TextField(blank=True, help_text='Replaces the standard introduction of the invitation to Dutch-speaking participants; empty uses the standard text. No greeting or closing: the message adds them.', verbose_name='invitation text (Dutch)'),
        ),
    ]
