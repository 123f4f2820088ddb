from django import forms
from django.utils.translation import gettext_lazy as _


class ErasePersonForm(forms.Form):
    identifier = forms.CharField(
        label=_("Email address or mobile number"),
        max_length=254,
        help_text=_("Every consult of the organisation in which this address or number was a participant."),
    )
