"""All state changes live here: plain functions ``fn(tx, *, actor_id, ...)`` run by ``ServiceRunner``."""
