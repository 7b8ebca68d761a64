"""``python -m chatapp`` starts the app. The command line is imported first and alone: it checks the settings and the
port before NiceGUI is loaded, so a mistake is reported at once."""

from chatapp.cli import run_cli

if __name__ in {'__main__', '__mp_main__'}:
    run_cli()
