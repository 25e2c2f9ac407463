"""The ``hubspot`` connector: contacts and activities of a HubSpot portal (CRM v3 API).

Contacts are read incrementally through the search API and upserted by email in batches
of 100; calls, meetings, emails, notes and the contacts' last form submission and
marketing email click/open are read as activities. ``emulator`` is a local, stateful
emulator of the API slice used. See ``docs/connectors/hubspot.md``.
"""

from funnelsync.plugins.hubspot.connector import HubSpotConnector
from funnelsync.plugins.hubspot.settings import HubSpotSettings

__all__ = ["HubSpotConnector", "HubSpotSettings"]
