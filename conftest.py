"""Running from a clone: load the sgdcheck plugin (installed use loads it from properties/)."""

pytest_plugins = ["sgdcheck.plugin"]
