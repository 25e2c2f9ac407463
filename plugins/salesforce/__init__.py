"""Salesforce connector (REST API through simple-salesforce) and its local emulator."""
