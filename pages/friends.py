"""``/friends``: friends, friend requests and people search, updated live by the other person's actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import Client, background_tasks, ui
from starlette.responses import RedirectResponse

from chatapp.app import ChatApp
from chatapp.events import Event, FriendshipChanged, ProfileChanged
from chatapp.schemas import FriendsOverview, PersonResult, Relation, SearchPage, UserPublic
from chatapp.services import friendships, profiles
from pages.avatar import avatar
from pages.base_view import SignedInView
from pages.coalescer import Coalescer
from pages.errors import shows_errors
from pages.feedback import Failed
from pages.frame import frame
from pages.hooks import hook
from pages.identity import Identity, anonymous_redirect, require_identity
from pages.inbox.notifier import Notifier
from pages.profile_card import open_profile_card

PATH = '/friends'


def register(chat: ChatApp) -> None:
    @ui.page(PATH)
    @shows_errors
    async def friends_page(client: Client) -> RedirectResponse | None:
        if redirect := anonymous_redirect(PATH):
            return redirect
        identity = await require_identity(chat, client, PATH)
        if identity is None:
            return None
        with frame('Friends', identity):
            view = FriendsView(chat, identity)
        notifier = Notifier(chat, identity)
        await chat.hub.attach(identity.user.id, view, client)  # before reading, so no change falls in between
        await chat.hub.attach(identity.user.id, notifier, client)
        await view.reloads.run()
        await notifier.start()
        return None


class FriendsView(SignedInView):
    """Three glass cards; each list re-renders from the services whenever a friendship of mine changes.

    Every re-read goes through ``reloads``: one read at a time, and a burst of events costs one more read that starts
    after the last of them, so an older read can never finish last and leave the lists stale."""

    def __init__(self, chat: ChatApp, identity: Identity) -> None:
        super().__init__(chat, identity)
        self.overview = FriendsOverview(friends=[], incoming=[], outgoing=[])
        self.search: SearchPage | None = None
        self.query = ''
        self.page = 0
        self.searches = 0
        """Searches started; only the newest one's answer is shown (a person's search and a reload's may cross)."""
        self.reloads = Coalescer(self.load, spawn=lambda job: background_tasks.create(job, name='friends reload'))
        with ui.element('div').classes('w-full grid gap-4 grid-cols-1 md:grid-cols-2 lg:grid-cols-3'):
            with ui.card().classes('glass p-4 gap-2'):
                ui.label('Friends').classes('text-lg font-bold')
                self.friends_list()
            with ui.card().classes('glass p-4 gap-2'):
                ui.label('Friend requests').classes('text-lg font-bold')
                self.requests_list()
            with ui.card().classes('glass p-4 gap-2'):
                ui.label('Find people').classes('text-lg font-bold')
                with ui.row().classes('w-full items-center no-wrap gap-2'):
                    self.search_input = hook(ui.input(placeholder='Name or username'), 'search-input') \
                        .classes('flex-grow') \
                        .props(f'dense outlined clearable maxlength={friendships.SEARCH_MAX_LENGTH} '
                               'aria-label="Find people"')
                    self.search_input.on('keydown.enter', lambda: self.run_search(0))
                    hook(ui.button(icon='search', on_click=lambda: self.run_search(0)), 'search-submit') \
                        .props('round unelevated aria-label=Search')
                self.search_results()

    async def load(self) -> None:
        """Read the lists (and re-run the current search, whose relations may have changed). Only ``reloads`` calls
        it: two of these at once could finish in the wrong order."""
        overview = await self.act(friendships.overview, quiet=True)
        if isinstance(overview, FriendsOverview):
            self.overview = overview
            self.friends_list.refresh()
            self.requests_list.refresh()
        if self.search is not None:
            await self.run_search(self.page, quiet=True)

    async def handle(self, event: Event) -> None:
        if isinstance(event, FriendshipChanged) and self.still_signed_in():
            self.reloads.request()  # not awaited: the hub has other pages to serve
        elif isinstance(event, ProfileChanged) and self.still_signed_in():
            self._person_changed(event.user)

    def _person_changed(self, person: UserPublic) -> None:
        """A friend (or a fellow group member with a pending request) has a new name or picture: the list that shows
        them is drawn again from the event, with no read (search results keep theirs until the next search)."""
        def swap(people: list[UserPublic]) -> list[UserPublic]:
            return [person if each.id == person.id else each for each in people]

        old = self.overview
        self.overview = FriendsOverview(friends=swap(old.friends), incoming=swap(old.incoming),
                                        outgoing=swap(old.outgoing))
        if self.overview.friends != old.friends:
            self.friends_list.refresh()
        if (self.overview.incoming, self.overview.outgoing) != (old.incoming, old.outgoing):
            self.requests_list.refresh()

    async def resync(self) -> None:
        await self.reloads.run()

    async def run_search(self, page: int, *, quiet: bool = False) -> None:
        """Search for the typed text (or, ``quiet``, again for the current one: a reload)."""
        if not quiet:
            self.query = self.search_input.value or ''
            self.page = page
        self.searches += 1
        ticket = self.searches
        search = friendships.refresh_search if quiet else friendships.search_people
        result = await self.act(search, query=self.query, page=self.page, quiet=quiet)
        if isinstance(result, SearchPage) and ticket == self.searches:
            self.search = result
            self.search_results.refresh()

    async def change(self, fn: Callable[..., object], **kwargs: Any) -> None:
        """Run a friendship action, then wait for a reload that shows it (its event reloads the other person's
        pages)."""
        result = await self.act(fn, **kwargs)
        if not isinstance(result, Failed):
            await self.reloads.run()

    async def open_card(self, person: UserPublic, *, found: bool = False) -> None:
        """The profile card of a person in my lists (by id), or of a search result (by username: see
        ``services.profiles`` for who may open whose card)."""
        if found:
            await open_profile_card(self, self.change, profiles.found_card, username=person.username)
        else:
            await open_profile_card(self, self.change, profiles.profile_card, user_id=person.id)

    @ui.refreshable_method
    def friends_list(self) -> None:
        if not self.overview.friends:
            ui.label('No friends yet: search for people to add them.').classes('muted')
        for friend in self.overview.friends:
            with _person_row(friend, 'friend', on_open=self.open_card):
                hook(ui.button('Chat', icon='chat', on_click=lambda f=friend: ui.navigate.to(f'/chat/{f.username}')),
                     f'chat-{friend.username}').props('unelevated rounded dense no-caps')
                hook(ui.button(icon='person_remove',
                               on_click=lambda f=friend: self.confirm_unfriend(f)),
                     f'unfriend-{friend.username}').props('flat round dense color=negative aria-label=Unfriend') \
                    .tooltip('Unfriend')

    @ui.refreshable_method
    def requests_list(self) -> None:
        if not self.overview.incoming and not self.overview.outgoing:
            ui.label('No pending requests.').classes('muted')
        for person in self.overview.incoming:
            with _person_row(person, 'incoming', note='wants to be friends', on_open=self.open_card):
                hook(ui.button('Accept', on_click=lambda p=person: self.change(
                    friendships.accept_request, requester_id=p.id)), f'accept-{person.username}') \
                    .props('unelevated rounded dense no-caps color=positive')
                hook(ui.button('Decline', on_click=lambda p=person: self.change(
                    friendships.decline_request, requester_id=p.id)), f'decline-{person.username}') \
                    .props('flat rounded dense no-caps')
        for person in self.overview.outgoing:
            with _person_row(person, 'outgoing', note='request sent', on_open=self.open_card):
                hook(ui.button('Cancel', on_click=lambda p=person: self.change(
                    friendships.cancel_request, target_id=p.id)), f'cancel-{person.username}') \
                    .props('flat rounded dense no-caps')

    @ui.refreshable_method
    def search_results(self) -> None:
        if self.search is None:
            ui.label('Search by username or display name.').classes('muted text-sm')
            return
        if not self.search.results:
            ui.label(f'Nobody matches "{self.query}".').classes('muted')
        for result in self.search.results:
            with _person_row(result.user, 'person', on_open=lambda p: self.open_card(p, found=True)):
                self._search_action(result)
        if self.search.page > 0 or self.search.has_more:
            with ui.row().classes('w-full justify-between'):
                page = self.search.page
                hook(ui.button('Previous', on_click=lambda: self.run_search(page - 1)), 'search-prev') \
                    .props('flat dense no-caps').set_enabled(page > 0)
                hook(ui.button('Next', on_click=lambda: self.run_search(page + 1)), 'search-next') \
                    .props('flat dense no-caps').set_enabled(self.search.has_more)

    def _search_action(self, result: PersonResult) -> None:
        name = result.user.username
        if result.relation == Relation.NONE:
            hook(ui.button('Add friend', icon='person_add', on_click=lambda: self.change(
                friendships.send_request, target_id=result.user.id)), f'search-add-{name}') \
                .props('unelevated rounded dense no-caps')
        elif result.relation == Relation.INCOMING:
            hook(ui.button('Accept', on_click=lambda: self.change(
                friendships.accept_request, requester_id=result.user.id)), f'search-accept-{name}') \
                .props('unelevated rounded dense no-caps color=positive')
        elif result.relation == Relation.REQUESTED:
            hook(ui.chip('Requested', icon='schedule'), f'search-requested-{name}').props('dense outline')
        else:
            hook(ui.chip('Friends', icon='check'), f'search-friends-{name}').props('dense outline color=positive')

    def confirm_unfriend(self, friend: UserPublic) -> None:
        with ui.dialog() as dialog, ui.card().classes('glass p-4'):
            ui.label(f'Unfriend {friend.label}? Your conversation will close for both of you.')
            with ui.row().classes('justify-end w-full'):
                ui.button('Keep', on_click=dialog.close).props('flat no-caps')

                async def confirm() -> None:
                    dialog.close()
                    await self.change(friendships.unfriend, friend_id=friend.id)

                hook(ui.button('Unfriend', on_click=confirm), 'confirm-unfriend') \
                    .props('unelevated no-caps color=negative')
        dialog.open()


def _person_row(person: UserPublic, kind: str, note: str = '',
                on_open: Callable[[UserPublic], Awaitable[None]] | None = None) -> ui.row:
    """A person with their avatar and names; a click on those (or Enter on them) opens their profile card."""
    with hook(ui.row(), f'{kind}-{person.username}').classes('w-full items-center no-wrap gap-2') as row:
        with hook(ui.element('div'), f'profile-{person.username}') \
                .classes('flex items-center no-wrap gap-2 flex-grow min-w-0 cursor-pointer') \
                .props('role=button tabindex=0') as opener:
            opener.props['aria-label'] = f'Profile of {person.label}'  # set directly: a props string is parsed
            avatar(person)
            with ui.column().classes('gap-0 flex-grow min-w-0'):
                ui.label(person.label).classes('font-medium truncate')
                ui.label(f'@{person.username}' + (f' · {note}' if note else '')).classes('text-xs muted truncate')
        if on_open is not None:
            opener.on('click', lambda: on_open(person)).on('keydown.enter', lambda: on_open(person))
    return row
