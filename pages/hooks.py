"""Stable handles on elements: a marker for NiceGUI's user simulation and a ``data-testid`` for real browsers."""

from typing import TypeVar

from nicegui import ui

E = TypeVar('E', bound=ui.element)


def hook(element: E, name: str) -> E:
    """Tag ``element`` as ``name`` for both kinds of test."""
    return element.mark(name).props(f'data-testid={name}')
