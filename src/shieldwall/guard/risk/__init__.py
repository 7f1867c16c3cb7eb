"""The login risk engine."""
