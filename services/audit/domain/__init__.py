"""Pure verification: no I/O, no clock; records in, reports out."""
