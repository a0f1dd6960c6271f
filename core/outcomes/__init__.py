"""From visits to outcomes: landmark visits, response criteria, time to event."""
