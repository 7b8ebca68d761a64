"""Pictures and files: where their bytes live (``store``), what they are (``sniff``, ``images``), their names
(``names``), the signed links that fetch them and the tokens that upload them (``links``), the pages that wait for an
upload (``waiting``), the HTTP routes (``routes``) and the janitor that removes what nobody may see (``janitor``).
The rules about who may do what are in ``chatapp.services.attachments``."""

from chatapp.files.links import FileLinks, new_nonce
from chatapp.files.parts import Files
from chatapp.files.store import FileStore, LocalFileStore
from chatapp.files.waiting import Waiting

__all__ = ['FileLinks', 'FileStore', 'Files', 'LocalFileStore', 'Waiting', 'new_nonce']
