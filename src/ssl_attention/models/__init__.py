"""Model adapters, one per family, and the registry of short keys."""
