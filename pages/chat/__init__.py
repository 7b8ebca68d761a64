"""The conversation pane: ``window`` decides which messages show, ``outbox`` what is still to send, ``composer`` is
the box, ``view`` renders them. Its routes are ``pages.inbox.routes``."""
