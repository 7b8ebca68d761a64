"""Whether the person is looking at a conversation's newest messages: what decides when it counts as read.

NiceGUI has no API of its own for a tab's visibility or focus, so this uses its two generic ones: ``ui.on`` (a
global event that the browser raises with NiceGUI's ``emitEvent``) and an element listener with a ``js_handler``.

- **Visible**: ``document.visibilityState`` (the Page Visibility API). ``visible`` means the tab is the selected tab
  of a window that is not minimised; a hidden tab, a minimised window or a locked phone are ``hidden``. Focus is not
  required: a chat open on a second screen while the person types elsewhere is still being read, and headless
  Chromium (the e2e tests) often has no focus. Until the browser has said so, the tab counts as not visible: a page
  opened in a background tab must not mark anything read, and a client that runs no JavaScript (a load tool) never
  marks anything.
- **At the bottom**: the scroller's ``scroll`` events, reduced in the browser to a change of "within ``NEAR`` px of
  the bottom" (a ``column-reverse`` scroller is at its bottom at ``scrollTop`` 0), so scrolling sends one event per
  crossing, not per frame. Until the browser says otherwise, the view is at its bottom (that is where it opens).

Every snippet is fixed code; the only value put into one is an element id made here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nicegui import events, ui

EVENT = 'chatapp_visibility'
NEAR = 48
_LISTEN = '''
  if (!window.chatappVisibility) {
    window.chatappVisibility = true;
    document.addEventListener('visibilitychange', () => emitEvent(__EVENT__, {state: document.visibilityState}));
  }
'''.replace('__EVENT__', json.dumps(EVENT))
WATCH_STATE = _LISTEN + f'emitEvent({json.dumps(EVENT)}, {{state: document.visibilityState}});'
"""The browser reports its visibility now and on every change (for pages without a chat view: ``pages.dormancy``)."""
_WATCH = _LISTEN + '''
  const divider = document.querySelector('#__LIST__ [data-testid=new-messages]');
  if (divider) divider.scrollIntoView({block: 'start'});
  const scroller = document.getElementById(__SCROLLER__);
  const bottom = !scroller || Math.abs(scroller.scrollTop) < __NEAR__;
  if (scroller) scroller.dataset.bottom = bottom;
  emitEvent(__EVENT__, {state: document.visibilityState, bottom: bottom});
'''
_TARGET = '''
  setTimeout(() => {
    const target = document.querySelector('#__LIST__ [data-target]');
    if (target) target.scrollIntoView({block: 'center'});
  }, 60);
'''
"""Brings the message a jump went to into view, once Vue has drawn the blocks sent just before."""
_SCROLL = '''(e) => {
  const t = e.target; const bottom = Math.abs(t.scrollTop) < __NEAR__;
  if (t.dataset.bottom !== String(bottom)) { t.dataset.bottom = bottom; emit(bottom); }
}'''


def visibility_args(args: Any) -> dict[str, Any] | None:
    """The browser's visibility event, ``{state: 'visible' | 'hidden', …}``, or None for anything of another shape."""
    args = args[0] if isinstance(args, list) and len(args) == 1 else args
    return args if isinstance(args, dict) and args.get('state') in {'visible', 'hidden'} else None


class Attention:
    """Tracks visibility and the scroller's bottom; calls ``on_looking`` whenever the person may have read more."""

    def __init__(self, scroller: ui.element, list_element: ui.element, on_looking: Callable[[], None]) -> None:
        self.visible = False
        self.at_bottom = True
        self._on_looking = on_looking
        self._scroller = scroller
        self._list = list_element
        ui.on(EVENT, self._visibility)
        scroller.on('scroll', self._scrolled, js_handler=self._code(_SCROLL))

    @property
    def looking(self) -> bool:
        return self.visible and self.at_bottom

    def watch(self) -> None:
        """Ask the browser to report its visibility, now and on every change (once the page is connected), after
        bringing the "New messages" line into view if there is one."""
        ui.context.client.run_javascript(self._code(_WATCH))

    def show_target(self) -> None:
        """Scroll the highlighted message (``data-target``) into view."""
        self._list.client.run_javascript(self._code(_TARGET))

    def _code(self, template: str) -> str:
        return (template.replace('__EVENT__', json.dumps(EVENT)).replace('__NEAR__', str(NEAR))
                .replace('__LIST__', f'c{self._list.id}').replace('__SCROLLER__', json.dumps(f'c{self._scroller.id}')))

    def _visibility(self, event: events.GenericEventArguments) -> None:
        """``{state, bottom?}`` from the browser; anything of another shape is ignored."""
        args = visibility_args(event.args)
        if args is not None:
            bottom = args.get('bottom')
            self._set(visible=args['state'] == 'visible', at_bottom=bottom if isinstance(bottom, bool) else None)

    def _scrolled(self, event: events.GenericEventArguments) -> None:
        if isinstance(event.args, bool):
            self._set(at_bottom=event.args)

    def _set(self, *, visible: bool | None = None, at_bottom: bool | None = None) -> None:
        before = self.looking
        if visible is not None:
            self.visible = visible
        if at_bottom is not None:
            self.at_bottom = at_bottom
        if self.looking and not before:
            self._on_looking()

