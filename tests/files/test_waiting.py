"""The page that made an upload token hears of the upload in its own process, and no other page does (the app in
process, the upload through its HTTP route)."""

from __future__ import annotations

from nicegui.testing import User

from chatapp.app import ChatApp
from chatapp.schemas import AttachmentInfo
from tests.factories import make_user, open_chat


async def test_the_page_that_made_the_token_hears_of_its_upload(user: User, chat: ChatApp) -> None:
    ada, bea = make_user(chat.run, 'ada'), make_user(chat.run, 'bea')
    conversation = open_chat(chat.run, ada, bea)
    heard: list[AttachmentInfo] = []
    others: list[AttachmentInfo] = []
    forget = chat.files.waiting.register('page-of-ada', heard.append)
    chat.files.waiting.register('another-page', others.append)

    token = chat.files.links.upload_token(ada.id, conversation, 'page-of-ada')
    response = await user.http_client.post(f'/files/upload?token={token}', content=b'%PDF-1.4 minutes',
                                           headers={'X-File-Name': 'minutes.pdf'})
    assert response.status_code == 200, response.text
    assert heard == [AttachmentInfo(**response.json())] and heard[0].filename == 'minutes.pdf'
    assert others == []

    forget()  # the page went away: the upload is still stored and answered
    again = await user.http_client.post(f'/files/upload?token={token}', content=b'%PDF-1.4 more')
    assert again.status_code == 200 and len(heard) == 1
