"""Domain tier: value objects, entities and errors. No I/O, no AWS imports."""
