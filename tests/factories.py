import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import Membership, Organisation, Role, Team, User
from notifications.models import OffsetUnit, ReminderChannel, ReminderRule
from scheduling.models import Appointment, Channel, Participant
from scheduling.services import ParticipantInput

PASSWORD = "correct-horse-battery"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Practice {n}")
    default_message_nl = "Welkom bij uw videoconsult."
    default_message_en = "Welcome to your video consult."


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    # The suite reads English (LANGUAGE_CODE in the test settings); the login switches to the user's language.
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.AGENT


def assistant_of(team: Team, **kwargs) -> User:
    user = UserFactory(organisation=team.organisation, **kwargs)
    MembershipFactory(user=user, team=team, role=Role.ASSISTANT)
    return user


def agent_of(team: Team, **kwargs) -> User:
    user = UserFactory(organisation=team.organisation, **kwargs)
    MembershipFactory(user=user, team=team, role=Role.AGENT)
    return user


def admin_of(organisation: Organisation, **kwargs) -> User:
    user = UserFactory(organisation=organisation, **kwargs)
    MembershipFactory(user=user, team=None, role=Role.ADMIN)
    return user


class AppointmentFactory(factory.django.DjangoModelFactory):
    """Writes rows directly, for setting the scene; behaviour under test goes through the services."""

    class Meta:
        model = Appointment

    team = factory.SubFactory(TeamFactory)
    organisation = factory.SelfAttribute("team.organisation")
    agent = factory.LazyAttribute(lambda o: agent_of(o.team))
    booked_by = factory.LazyAttribute(lambda o: assistant_of(o.team))
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    subject = "Consult"
    message = "See you soon."


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    appointment = factory.SubFactory(AppointmentFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    channel = Channel.EMAIL
    email = factory.Sequence(lambda n: f"client{n}@example.org")


class ReminderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderRule

    organisation = factory.SubFactory(OrganisationFactory)
    amount = 24
    unit = OffsetUnit.HOURS
    channel = ReminderChannel.OWN


# Participants as the booking form hands them to the services.
def email_participant(name: str = "Chris Client", address: str = "chris@example.org", language: str = "en"):
    return ParticipantInput(name=name, channel="email", language=language, email=address)


def sms_participant(name: str = "Sam Sms", phone: str = "06 12345678", language: str = "nl"):
    return ParticipantInput(name=name, channel="sms", language=language, phone=phone)


def link_participant(name: str = "Lee Link"):
    return ParticipantInput(name=name, channel="link", language="en")


def image(colour: str, *, format: str = "PNG") -> bytes:
    """A small image file's bytes; another colour gives other bytes."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format=format)
    return out.getvalue()


def give_logo(organisation: Organisation, content: bytes, name: str = "logo.png") -> str:
    """Upload a logo as the admin does; returns the URL pages show it at."""
    organisation.logo = ContentFile(content, name=name)
    organisation.save()
    return organisation.logo.url
