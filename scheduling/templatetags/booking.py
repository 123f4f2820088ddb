"""Template tags of the booking form, in Python because the form is the page assistants open most: the
agent select's options through the template engine cost about as much as the rest of the form's fields."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from scheduling.forms import AppointmentForm

register = template.Library()


@register.simple_tag
def agent_options(form: AppointmentForm) -> SafeString:
    """The agents grouped per team (static/js/booking-form.js shows the chosen team's group); the agent
    posted or saved is selected only under the team posted or saved, as an agent may work in two teams."""
    chosen_agent, chosen_team = str(form["agent"].value()), str(form["team"].value())
    parts = []
    for team, agents in form.team_agents:
        team_id = escape(team.pk)
        parts.append(f'\n<optgroup label="{escape(team.name)}" data-team="{team_id}">')
        for agent in agents:
            selected = " selected" if str(agent.pk) == chosen_agent and str(team.pk) == chosen_team else ""
            name = escape(agent.full_name)
            parts.append(f'\n<option value="{escape(agent.pk)}" data-team="{team_id}"{selected}>{name}</option>')
        if not agents:
            # Outside the f-string: xgettext does not look inside one, and `make messages` dropped the text.
            none = escape(_("No agents in this team"))
            parts.append(f"\n<option disabled>{none}</option>")
        parts.append("\n</optgroup>")
    return SafeString("".join(parts))
