"""The test settings with tests.failing_site's extra failing page, for servers started by the error tests."""

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "tests.failing_site"
