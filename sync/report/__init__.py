"""The shared funnel report: figures, journeys, periods, segments, campaigns, SLA, formats."""
