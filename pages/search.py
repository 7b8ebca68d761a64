"""``/search``: full-text search over my messages (``chatapp.services.search``), "More results" a page at a time.

Each page of hits is one ``Html`` element of escaped markup (as the chat draws its bubbles): a hit is a link to its
conversation at that message (``<path>?at=<seq>``) showing the conversation, the sender, the time and the words
around the match, the searched words in ``<mark>``. A refused search (too short, only punctuation, too fast) says
why in the page, next to the box.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from nicegui import Client, ui
from nicegui.elements.html import Html
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.schemas import MessageSearchPage, SearchHit
from chatapp.services import search
from chatapp.services.search_text import MAX_QUERY_LENGTH
from pages.base_view import SignedInView
from pages.errors import shows_errors
from pages.feedback import Failed
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.inbox.notifier import Notifier
from pages.timezone import stamp, zone_of

PATH = '/search'


def register(chat: ChatApp) -> None:
    @ui.page(PATH)
    @shows_errors
    async def search_page(client: Client) -> RedirectResponse | None:
        if redirect := anonymous_redirect(PATH):
            return redirect
        identity = await require_identity(chat, client, PATH)
        if identity is None:
            return None
        with frame('Search', identity):
            SearchView(chat, identity)
        notifier = Notifier(chat, identity)
        await chat.hub.attach(identity.user.id, notifier, client)
        await notifier.start()
        return None


class SearchView(SignedInView):
    """The box, a line for what went wrong or how many were found, the hits, and "More results"."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        super().__init__(chat, identity)
        self.zone = zone_of(identity.accounts)
        self.query = ''
        self.page = 0
        self.searches = 0
        """Searches started; only the newest one's answer is shown (an Enter and a click may cross)."""
        with ui.card().classes('glass p-4 gap-3 w-full max-w-3xl self-center'):
            with ui.row().classes('w-full items-center no-wrap gap-2'):
                self.input = hook(ui.input(placeholder='Search your messages'), 'message-search-input') \
                    .classes('flex-grow') \
                    .props(f'dense outlined clearable autofocus maxlength={MAX_QUERY_LENGTH} '
                           'aria-label="Search your messages"')
                self.input.on('keydown.enter', lambda: self.run(0))
                hook(ui.button(icon='search', on_click=lambda: self.run(0)), 'message-search-submit') \
                    .props('round unelevated aria-label=Search')
            self.status = hook(ui.label(''), 'message-search-status').classes('text-sm muted') \
                .props('role=status aria-live=polite')
            self.results = hook(ui.column(), 'message-search-results').classes('w-full gap-0')
            self.more = hook(ui.button('More results', on_click=lambda: self.run(self.page + 1)),
                             'message-search-more').props('flat dense no-caps').classes('self-center')
            self.more.set_visibility(False)

    async def run(self, page: int) -> None:
        """Search for the typed words (page 0), or the next page of the current search."""
        if page == 0:
            self.query = (self.input.value or '').strip()
        self.searches += 1
        ticket = self.searches
        found = await self.act(search.search_messages, query=self.query, page=page, quiet=True)
        if ticket != self.searches:
            return
        if isinstance(found, Failed):
            self.status.set_text(found.message)
            self.status.classes(add='text-negative')
            if page == 0:
                self.results.clear()
                self.more.set_visibility(False)
            return
        self.status.classes(remove='text-negative')
        self.show(found)

    def show(self, found: MessageSearchPage) -> None:
        self.page = found.page
        if found.page == 0:
            self.results.clear()
        if found.hits:
            with self.results:
                Html(''.join(hit_html(hit, self) for hit in found.hits)).classes('w-full')
        shown = found.page * search.PAGE_SIZE + len(found.hits)
        if shown == 0:
            self.status.set_text(f'No messages match “{self.query}”.')
        else:
            older = ' Only the newest matches are ranked: add words to find older ones.' \
                if found.limited and not found.has_more else ''
            self.status.set_text(f'{shown} message{"" if shown == 1 else "s"} shown, best first.{older}')
        self.more.set_visibility(found.has_more)


def hit_html(hit: SearchHit, view: SearchView) -> str:
    """One hit as a link; every text in it is escaped, and only ``<mark>`` is ours."""
    snippet = ''.join(f'<mark>{escape(part.text)}</mark>' if part.match else escape(part.text)
                      for part in hit.snippet)
    href = f'{quote(hit.path)}?at={hit.seq}'
    return (f'<a class="search-hit nicegui-link block no-underline text-inherit py-2" href="{escape(href)}" '
            f'data-testid="message-search-hit">'
            f'<div class="text-sm font-medium">{escape(hit.conversation_title)}'
            f'<span class="muted font-normal"> · {escape(hit.sender_label)} · '
            f'{escape(stamp(hit.created_at, view.zone))}</span></div>'
            f'<div class="text-sm">{snippet}</div></a>')
