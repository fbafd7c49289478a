"""Decision domain: projection (``evolve``), policies by version, revisions, pure replay. No I/O."""
