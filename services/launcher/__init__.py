"""The application launcher: the hiring-pipeline CLI, the main run with its sample interviews."""
