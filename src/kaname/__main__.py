"""`python -m kaname` runs the command line, even before the shell finds the `kaname` script."""

from kaname.cli.main import app

app()
