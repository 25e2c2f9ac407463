"""Connector plugins shipped with funnelsync."""
