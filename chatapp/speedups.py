"""One measured speed-up inside NiceGUI 3.18 (pinned in pyproject.toml), until it is fixed upstream.

Every NiceGUI element makes three observable collections (props, classes, style), and each asks
``helpers.expects_arguments(on_change)``, which runs ``inspect.signature`` on the element's bound ``update`` method:
three signature computations per element, one per handled event too. The load benchmark's profile of logins
(docs/benchmarks.md, scenario g) put ``inspect.signature`` at a tenth of the server's CPU. The answer depends only
on the function, so it is computed once per function here: for a bound method, once per underlying function (the
bound instance changes nothing in the answer). Anything else (a ``functools.partial``, a callable object) is asked
as before. Functions are weakly held, so a lambda made per element leaves no entry behind.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable
from typing import Any

from nicegui import helpers

_original: Callable[[Callable[..., Any]], bool] = helpers.expects_arguments
_answers: weakref.WeakKeyDictionary[Any, dict[bool, bool]] = weakref.WeakKeyDictionary()
"""function -> {bound: answer}: the answer for the function itself (False) and for it bound to an instance (True)"""


def expects_arguments(func: Callable[..., Any]) -> bool:
    """``nicegui.helpers.expects_arguments``, remembered per function."""
    if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
        function, bound = func.__func__, True
    elif isinstance(func, types.FunctionType):
        function, bound = func, False
    else:
        return _original(func)
    answers = _answers.setdefault(function, {})
    if bound not in answers:
        answers[bound] = _original(func)
    return answers[bound]


def install() -> None:
    """Use the remembering ``expects_arguments`` wherever NiceGUI asks (idempotent)."""
    helpers.expects_arguments = expects_arguments
