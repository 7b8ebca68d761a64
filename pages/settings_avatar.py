"""The profile picture part of ``/settings``'s profile card: a preview, Quasar's uploader and "Remove picture".

As in the chat's attach dialog (``pages.chat.attach``), the bytes go from the browser straight to ``POST
/files/avatar`` (``chatapp.files.avatar_routes``), never through the page's socket: the uploader posts the raw file
with a token that names this page by a random nonce and shows its own progress; the route makes and stores the
sizes, sets the picture through ``profiles.set_avatar`` and tells this page through ``chat.avatars.waiting``. The
token is renewed before it expires, so a settings page left open still uploads. A refusal (too large, not a picture,
too often: then with how long to wait) shows under the uploader, which is emptied so that the next pick is sent.
"""

from __future__ import annotations

from html import escape

from nicegui import events, ui
from nicegui.elements.html import Html

from chatapp.files import avatars, new_nonce
from chatapp.schemas import UserPublic
from chatapp.security import limits
from chatapp.services import profiles
from pages.avatar import avatar_img
from pages.base_view import SignedInView
from pages.feedback import Failed
from pages.hooks import hook

PREVIEW_PX = 96
RENEW_SECONDS = 600.0
"""Upload tokens work 15 minutes (``chatapp.files.links.UPLOAD_SECONDS``): renewed well before."""
ACCEPT = 'image/jpeg,image/png,image/gif,image/webp'
_FAILED = '''(info) => {
  const xhr = info && info.xhr;
  emit({status: xhr ? xhr.status : 0, retry_after: xhr ? xhr.getResponseHeader('Retry-After') : null});
}'''
"""The status of a refused upload, and how long to wait when it was refused for coming too often (429)."""
REFUSALS = {413: f'This picture is too large: at most {avatars.MAX_UPLOAD_BYTES >> 20} MB or 40 megapixels.',
            415: 'Pick a picture: JPEG, PNG, GIF or WebP.',
            422: 'This picture could not be read. Is the file damaged?',
            403: 'The upload took too long. Try again.',
            429: limits.REFUSALS['avatars']}
"""What the route's refusals mean for the person, by status (``chatapp.files.avatar_routes``)."""
FAILED = 'The upload failed. Try again.'
REJECTED = f'Pick a JPEG, PNG, GIF or WebP picture of at most {avatars.MAX_UPLOAD_BYTES >> 20} MB.'
"""The browser's own check refused the file before sending it."""


class AvatarPicker:
    """Drawn inside the profile card by ``ProfileForm``; acts through ``view``."""

    def __init__(self, view: SignedInView, person: UserPublic) -> None:
        self.view = view
        self.person = person
        self.nonce = new_nonce()
        unregister = view.chat.avatars.waiting.register(self.nonce, self._stored)
        view.client.on_delete(unregister)
        with ui.row().classes('items-center gap-4 no-wrap w-full'):
            self.preview = hook(Html(self._preview_html()), 'avatar-preview').classes('shrink-0')
            with ui.column().classes('gap-1 flex-grow min-w-0'):
                self.uploader = hook(ui.element('q-uploader'), 'avatar-uploader').classes('w-full')
                self.uploader.props.update({
                    'send-raw': True, 'auto-upload': True, 'max-files': 1, 'flat': True, 'bordered': True,
                    'accept': ACCEPT, 'max-file-size': avatars.MAX_UPLOAD_BYTES})
                self.uploader.on('failed', self._failed, js_handler=_FAILED)
                self.uploader.on('rejected', lambda: self._say(REJECTED))
                # Emptied by the browser once it has the route's answer (a reset while the request is in flight aborts
                # it, and Quasar then reports the stored picture as a failed upload), and only then "Picture saved.":
                # a picture picked after that line shows is never emptied by the answer to the one before.
                self.uploader.on('uploaded', self._saved,
                                 js_handler=f'() => {{ getElement({self.uploader.id}).reset(); emit(); }}')
                self._header()
                self.remove_button = hook(ui.button('Remove picture', icon='delete', on_click=self.remove),
                                          'avatar-remove').props('flat rounded no-caps dense color=negative')
                self.problem = hook(ui.label(), 'avatar-problem').classes('text-negative text-sm') \
                    .props('role=alert')
                self.status = hook(ui.label(), 'avatar-status').classes('text-sm muted').props('role=status')
        self.remove_button.set_visibility(person.avatar is not None)
        self.renew()
        ui.timer(RENEW_SECONDS, self.renew)

    def _header(self) -> None:
        """The uploader's header, ours instead of Quasar's: Quasar's "add" button has no name and its file input no
        label (axe refuses both). A named button opens a hidden file input that hands its file to the uploader."""
        with self.uploader.add_slot('header'), ui.row().classes('items-center gap-2 p-2 no-wrap w-full'):
            picker = ui.element('input').props(f'type=file hidden accept={ACCEPT}')
            picker.props['aria-label'] = 'Profile picture file'
            picker.on('change', js_handler=f'(e) => {{ const files = [...e.target.files]; e.target.value = ""; '
                                           f'if (files.length) getElement({self.uploader.id}).addFiles(files); }}')
            hook(ui.button('Choose a picture', icon='add_photo_alternate'), 'avatar-choose') \
                .props('unelevated rounded no-caps dense padding="4px 12px"') \
                .on('click', js_handler=f'() => document.getElementById("c{picker.id}").click()')
            ui.label('or drop one here (JPEG, PNG, GIF or WebP)').classes('text-sm')

    def renew(self) -> None:
        """A fresh upload token for the uploader's URL."""
        token = self.view.chat.avatars.tokens.upload_token(self.view.me, self.nonce)
        self.uploader.props['url'] = f'/files/avatar?token={token}'
        self.uploader.update()

    async def remove(self) -> None:
        previous = await self.view.act(profiles.remove_avatar)
        if isinstance(previous, Failed):
            return
        await self.view.chat.avatars.discard(previous, self.view.chat.run)
        self._show(None, 'Picture removed: people see your initial.')

    def _stored(self, picture: str) -> None:
        """The route stored a picture uploaded with this page's token and made it the profile picture. Called before
        the route answers the upload: the uploader is emptied, and the line says so, on its ``uploaded`` event."""
        if self.view.client.is_deleted:
            return
        self._show(picture, '')

    def _saved(self) -> None:
        """The browser has the route's answer and has emptied the uploader (its ``uploaded`` event)."""
        self.problem.set_text('')
        self.status.set_text('Picture saved.')

    def _show(self, picture: str | None, text: str) -> None:
        self.person = self.person.model_copy(update={'avatar': picture})
        self.preview.set_content(self._preview_html())
        self.remove_button.set_visibility(picture is not None)
        self.problem.set_text('')
        self.status.set_text(text)

    def _failed(self, event: events.GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        status = args.get('status')
        text = REFUSALS.get(status, FAILED) if isinstance(status, int) else FAILED
        if status == 429:
            text += f' Try again in {_wait(args.get("retry_after"))}.'
        self._say(text)
        self.uploader.run_method('reset')  # else the refused file keeps the uploader's one place: the next is rejected
        if status == 403:
            self.renew()

    def _say(self, text: str) -> None:
        self.status.set_text('')
        self.problem.set_text(text)

    def _preview_html(self) -> str:
        picture = avatar_img(self.person.avatar, PREVIEW_PX, alt='Your profile picture')
        if picture:
            return picture
        return (f'<div class="q-avatar bg-secondary" role="img" aria-label="No profile picture: your initial" '
                f'style="font-size: {PREVIEW_PX}px; color: white;"><div class="q-avatar__content row flex-center '
                f'overflow-hidden"><div class="font-semibold" style="font-size: 0.4em">'
                f'{escape(self.person.label[:1].upper())}</div></div></div>')


def _wait(retry_after: object) -> str:
    """The route's ``Retry-After`` (seconds, as the browser read the header) as a person reads a wait."""
    try:
        seconds = int(str(retry_after))
    except ValueError:
        return 'a minute'
    return limits.duration(min(max(seconds, 1), 86_400))
