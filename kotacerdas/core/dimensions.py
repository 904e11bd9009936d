"""The six dimensions of the national Smart City masterplan: shared vocabulary of every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    """The six dimensions of the national Smart City masterplan."""

    GOVERNANCE = "governance", _("Smart Governance")
    BRANDING = "branding", _("Smart Branding")
    ECONOMY = "economy", _("Smart Economy")
    LIVING = "living", _("Smart Living")
    SOCIETY = "society", _("Smart Society")
    ENVIRONMENT = "environment", _("Smart Environment")
