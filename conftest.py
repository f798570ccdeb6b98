"""Running from a clone: load the sgdcheck plugin unless the installed entry point already does."""

from importlib.metadata import entry_points

_installed = any(ep.value == "sgdcheck.plugin" for ep in entry_points(group="pytest11"))
pytest_plugins = [] if _installed else ["sgdcheck.plugin"]
