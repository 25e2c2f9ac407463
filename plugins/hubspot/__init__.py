"""HubSpot connector (CRM v3 API through hubspot-api-client) and its local emulator."""
