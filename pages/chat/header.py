"""The conversation's header: who or what it is, presence or member count, and the mute switch.

A direct chat shows the other person's avatar, name and presence ("online", "last seen …", or nothing when either
side hides it); a group shows its name and "N members", which opens the members dialog (``pages.chat.group_panel``).
A direct chat's avatar, name and presence are one ``Html`` element of escaped text (each element is about 4 KB on
every open page).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from html import escape
from typing import Any

from nicegui import ui
from nicegui.elements.html import Html

from chatapp.schemas import ChatInfo, PresenceInfo, UserPublic
from pages.avatar import avatar_img
from pages.hooks import hook
from pages.timezone import stamp

AVATAR_PX = 32


class ChatHeader:
    """Built once per view; ``update`` takes a fresh ``ChatInfo`` after a membership change."""

    def __init__(self, info: ChatInfo, *, zone: tzinfo, on_back: Callable[[], Any], on_members: Callable[[], Any],
                 on_mute: Callable[[], Any], on_profile: Callable[[], Any] | None = None) -> None:
        self.zone = zone
        self.group = info.kind == 'group'
        with ui.row().classes('chat-header w-full items-center gap-2 no-wrap'):
            hook(ui.button(icon='arrow_back', on_click=on_back), 'chat-back').classes('chat-back') \
                .props('flat round dense aria-label="Back to conversations"')
            self._username = f'@{info.peer.username}' if info.peer is not None else ''
            self._initial = info.peer.label[:1].upper() if info.peer is not None else ''
            self._picture = info.peer.avatar if info.peer is not None else None
            self._title = info.title
            self._status = self._username
            self.who: Html | None = None
            if self.group:
                ui.icon('groups', size='lg', color='primary').props('aria-hidden=true')
                with ui.column().classes('gap-0 min-w-0 flex-grow'):
                    self.title = hook(ui.label(info.title), 'chat-title') \
                        .classes('text-lg font-bold leading-tight ellipsis').props('role=heading aria-level=2')
                    self.members = hook(ui.button(on_click=on_members), 'members-button') \
                        .props('flat dense no-caps size=sm padding="0 4px"').classes('self-start muted')
            else:
                self.who = Html(self._who_html()).classes('contents')
                if on_profile is not None:
                    hook(ui.button(icon='person', on_click=on_profile), 'peer-profile') \
                        .props('flat round dense aria-label="Profile"')
            self.mute = hook(ui.button(on_click=on_mute), 'mute-toggle').props('flat round dense')
        self.update(info)

    def update(self, info: ChatInfo) -> None:
        if self.who is not None:
            self._title = info.title
            if info.peer is not None:
                self._initial, self._picture = info.peer.label[:1].upper(), info.peer.avatar
            self._draw()
        else:
            self.title.set_text(info.title)
        if self.group:
            count = len(info.members)
            self.members.set_text(f'{count} member' if count == 1 else f'{count} members')
        self.set_muted(info.muted)

    def show_peer(self, peer: UserPublic) -> None:
        """The other person of a direct chat has a new name or picture (``ProfileChanged``)."""
        if self.who is not None:
            self._title, self._initial, self._picture = peer.label, peer.label[:1].upper(), peer.avatar
            self._draw()

    def set_muted(self, muted: bool) -> None:
        self.mute.props(f'icon={"notifications_off" if muted else "notifications"}')
        # Set directly: the label holds a space, which a props string would split.
        self.mute.props['aria-label'] = 'Unmute notifications' if muted else 'Mute notifications'
        self.mute.props['aria-pressed'] = 'true' if muted else 'false'
        self.mute.update()

    def show_presence(self, presence: PresenceInfo | None) -> None:
        """"online", "last seen …", or only the username when the person's presence is not mine to see."""
        if self.group:
            return
        if presence is None or (not presence.online and presence.last_seen_at is None):
            text = self._username
        elif presence.online:
            text = f'{self._username} · online'
        else:
            assert presence.last_seen_at is not None
            text = f'{self._username} · last seen {stamp(presence.last_seen_at, self.zone)}'
        self._status = text
        self._draw()

    @property
    def status(self) -> str:
        """What the line under a direct chat's name says (the username, with presence when it may be seen)."""
        return self._status

    def _draw(self) -> None:
        if self.who is not None:
            self.who.set_content(self._who_html())

    def _who_html(self) -> str:
        """The other person's picture or initial (hidden from screen readers: the name is beside it), name and
        presence."""
        face = avatar_img(self._picture, AVATAR_PX) or f'<div class="font-semibold">{escape(self._initial)}</div>'
        background = '' if self._picture else ' bg-secondary'
        return (f'<div class="q-avatar{background}" aria-hidden="true" style="font-size: {AVATAR_PX}px; '
                f'color: white;"><div class="q-avatar__content row flex-center overflow-hidden">{face}</div></div>'
                '<div class="nicegui-column gap-0 min-w-0 flex-grow">'
                '<div class="text-lg font-bold leading-tight ellipsis" data-testid="chat-title" role="heading" '
                f'aria-level="2">{escape(self._title)}</div>'
                f'<div class="text-xs muted" data-testid="presence">{escape(self._status)}</div></div>')
