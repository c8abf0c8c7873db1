"""The `kaname` command line: thin commands that call the workspace and render what it returns."""
