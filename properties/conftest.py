"""Loads the sgdcheck plugin, so `pytest --pyargs properties` works from any directory."""

pytest_plugins = ["sgdcheck.plugin"]
