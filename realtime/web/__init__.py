"""The web side: the live pages, the REST endpoints, operations endpoints (health, metrics), URL includes."""
