"""``python -m chatapp`` starts the app."""

from chatapp.app import main

if __name__ in {'__main__', '__mp_main__'}:
    main()
