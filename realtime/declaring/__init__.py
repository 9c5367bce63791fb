"""Declaring what publishes: the publications registry, the signal receivers and after-commit
publishing, the notification service."""
