"""Where a page may send a person next: only relative paths of this app (no open redirect).

Navigating after an await (the comments ``see pages.navigation`` point here): views keep the ``ui.navigate`` of the
moment they were built and navigate with it after an await. In production it is the same object either way.
NiceGUI's user simulation swaps ``ui.navigate`` for whichever simulated person was touched last, so a navigation that
finishes after an await could move another person.
"""

from urllib.parse import quote, urlsplit

HOME = '/'


def safe_next(target: str | None) -> str:
    """``target`` when it is a path of this app (``/…``), otherwise the dashboard."""
    if not target or len(target) > 512 or not target.startswith('/') or target.startswith('//'):
        return HOME
    if '\\' in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target


def login_url(next_path: str | None) -> str:
    """The login page, asked to return to ``next_path`` afterwards."""
    target = safe_next(next_path)
    return '/login' if target == HOME else f'/login?next={quote(target, safe="")}'
