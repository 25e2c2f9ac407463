"""The local, stateful hubspot emulator the connector's tests and the demo run against."""
