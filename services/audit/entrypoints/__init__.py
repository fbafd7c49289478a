"""The ``hiring-audit`` command line."""
