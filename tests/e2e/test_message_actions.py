"""Message changes in real Chromium: a reaction and an edit made in one browser arrive live in the other, a deleted
message turns into its note everywhere, and a link opens in a new tab without handing over the chat's window."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.harness import (
    BrowserFactory,
    click,
    css,
    find,
    send,
    text_field,
    wait,
    wait_for_message,
    wait_for_messages,
)
from tests.e2e.pairs import Pair, chatting_pair

BUBBLE_PART = '''
  const [text, selector] = arguments;
  const bubble = [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"]')]
    .find(b => b.textContent.includes(text));
  if (!bubble) return null;
  return [...bubble.querySelectorAll(selector)].map(e => [e.dataset.emoji || '', e.dataset.count || '',
                                                          e.getAttribute('aria-pressed') || '']);
'''
"""The parts of the bubble showing ``text`` that match ``selector`` (reactions: emoji, count, mine)."""
OPEN_ACTIONS = '''
  const bubble = [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"]')]
    .find(b => b.textContent.includes(arguments[0]));
  bubble.querySelector('.more').click();
'''
"""The actions button shows on hover (or focus); a script's click is what a tap on a phone does."""


@pytest.fixture
def pair(tmp_path: Path, new_browser: BrowserFactory) -> Iterator[Pair]:
    with chatting_pair(tmp_path, new_browser) as both:
        yield both


def _reactions(driver: WebDriver, text: str) -> list[list[str]]:
    return driver.execute_script(BUBBLE_PART, text, css('reaction')) or []


def test_a_reaction_and_an_edit_arrive_live(pair: Pair) -> None:
    send(pair.alice, 'lunch at noon?')
    wait_for_message(pair.bob, 'lunch at noon?')

    pair.bob.execute_script(OPEN_ACTIONS, 'lunch at noon?')
    find(pair.bob, 'message-actions-dialog')
    click(pair.bob, 'react-choice')  # the first of the quick set: 👍
    wait(pair.alice, lambda d: _reactions(d, 'lunch at noon?') == [['👍', '1', 'false']], 'no thumb at alice')
    wait(pair.bob, lambda d: _reactions(d, 'lunch at noon?') == [['👍', '1', 'true']], 'no thumb at bob')

    pair.alice.execute_script(OPEN_ACTIONS, 'lunch at noon?')
    click(pair.alice, 'edit')
    box = text_field(pair.alice, 'edit-input')
    box.clear()
    box.send_keys('lunch at one?')
    click(pair.alice, 'edit-save')
    wait_for_messages(pair.bob, ['lunch at one?'])
    wait(pair.bob, lambda d: d.execute_script(BUBBLE_PART, 'lunch at one?', css('edited')), 'not marked edited')
    assert _reactions(pair.bob, 'lunch at one?') == [['👍', '1', 'true']]  # an edit keeps the reactions

    # A click on a reaction chip takes my own back.
    pair.bob.execute_script('''
      const bubble = [...document.querySelectorAll('[data-testid="message"]')]
        .find(b => b.textContent.includes(arguments[0]));
      bubble.querySelector('[data-testid="reaction"]').click();''', 'lunch at one?')
    wait(pair.alice, lambda d: _reactions(d, 'lunch at one?') == [], 'the thumb stayed at alice')


def test_a_deleted_message_becomes_its_note_everywhere(pair: Pair) -> None:
    send(pair.alice, 'wrong chat, sorry')
    wait_for_message(pair.bob, 'wrong chat, sorry')
    pair.alice.execute_script(OPEN_ACTIONS, 'wrong chat, sorry')
    click(pair.alice, 'delete')
    click(pair.alice, 'delete-confirm')
    for driver in (pair.alice, pair.bob):
        wait_for_messages(driver, ['This message was deleted'])
        assert 'wrong chat, sorry' not in driver.execute_script(
            'return document.querySelector(arguments[0]).textContent', css('message-list'))


def test_a_link_opens_in_a_new_tab_without_the_opener(pair: Pair) -> None:
    send(pair.alice, 'read https://example.org/a?b=1&c=2. <b>now</b>')
    wait_for_message(pair.bob, 'read https://example.org/a?b=1&c=2.')
    links = pair.bob.execute_script('''
      return [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"] a')]
        .map(a => [a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel'), a.textContent]);''')
    assert links == [['https://example.org/a?b=1&c=2', '_blank', 'noopener noreferrer nofollow',
                      'https://example.org/a?b=1&c=2']]
    assert pair.bob.execute_script(
        'return document.querySelectorAll(\'[data-testid="message-list"] b\').length') == 0


def _png(path: Path) -> Path:
    """A small real picture, with EXIF that the server must strip."""
    from PIL import Image

    image = Image.new('RGB', (64, 48), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010E] = 'a secret description'
    image.save(path, format='PNG', exif=exif)
    return path


def test_a_picture_sent_with_the_attach_button_shows_as_a_thumbnail_for_the_other(pair: Pair,
                                                                                    tmp_path: Path) -> None:
    picture = _png(tmp_path / 'beach.png')
    click(pair.alice, 'attach-button')
    find(pair.alice, 'attach-dialog')
    chooser = pair.alice.find_element('css selector', f'{css("file-uploader")} input[type=file]')
    chooser.send_keys(str(picture))
    text_field(pair.alice, 'attach-caption').send_keys('at the beach')
    click(pair.alice, 'attach-send')  # enabled once the server has stored and checked the upload
    for driver in (pair.alice, pair.bob):
        wait_for_messages(driver, ['at the beach'])  # the caption is the message's text
        loaded = wait(driver, lambda d: d.execute_script('''
            const img = document.querySelector('[data-testid="message-list"] [data-testid="picture"] img');
            return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.alt] : null;'''),
            'no picture shown')
        assert loaded == [64, 'beach.png']


DROP_OR_PASTE = '''
  const [how, data, name] = arguments;
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: 'image/png'}));
  if (how === 'drop') {
    const target = document.querySelector('.chat-scroller');
    target.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    target.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
  } else {
    const box = document.querySelector('[data-testid="message-input"]');
    box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
  }
'''
"""What the browser does when a person drops a picture on the conversation or pastes one into the box."""


@pytest.mark.parametrize('how', ['drop', 'paste'])
def test_a_picture_dropped_or_pasted_is_uploaded_and_sent(pair: Pair, tmp_path: Path, how: str) -> None:
    encoded = base64.b64encode(_png(tmp_path / 'shot.png').read_bytes()).decode()
    pair.alice.execute_script(DROP_OR_PASTE, how, encoded, f'{how}.png')
    find(pair.alice, 'attach-dialog')
    click(pair.alice, 'attach-send')  # enabled once the server has stored the upload the browser handed over
    wait(pair.bob, lambda d: d.execute_script('''
        const img = document.querySelector('[data-testid="message-list"] [data-testid="picture"] img');
        return img && img.complete && img.naturalWidth > 0 ? img.alt : null;''') == f'{how}.png', 'no picture')
