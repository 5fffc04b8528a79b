"""Test settings: the development settings (devtools/settings.py), unchanged."""

from devtools.settings import *  # noqa: F401,F403
