"""Clients of the other apps orders_app depends on."""
