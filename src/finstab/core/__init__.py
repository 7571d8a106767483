"""Core: errors, warnings, validation, configuration base, provenance, results, I/O."""
