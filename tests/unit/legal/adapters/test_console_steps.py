"""The console's steps: the page's forms and the routes agree, and free text is checked."""

from __future__ import annotations

import re
from pathlib import Path

from services.legal.adapters.http.console.i18n import DONE, WORDS
from services.legal.adapters.http.console.routes_requests import STEPS, form_text

PAGE = (
    Path(__file__).resolve().parents[4]
    / "services/legal/adapters/http/console/templates/request.html"
)


def _forms() -> dict[str, str]:
    """Each step form of the request page, by the step it posts to."""
    found = re.findall(
        r'<form method="post" action="\{\{ base \}\}/(\w+)"(.*?)</form>', PAGE.read_text(), re.S
    )
    return dict(found)


def test_every_step_has_a_form_and_the_confirmation_the_route_asks_for() -> None:
    forms = _forms()
    assert set(forms) == {step.name for step in STEPS}
    # The route refuses a confirmed step without the box ticked: the form must offer it.
    ticked = {name for name, form in forms.items() if 'name="confirmed" value="yes"' in form}
    assert ticked == {step.name for step in STEPS if step.confirmed}
    assert {step.name for step in STEPS if step.answers} == {"approve"}


def test_every_step_says_it_went_well_in_both_languages() -> None:
    for step in STEPS:
        assert step.done in DONE
        english, french = WORDS[step.done]
        assert english.strip()
        assert french.strip()


def test_free_text_with_invisible_characters_reaches_the_handler_empty() -> None:
    assert form_text({"reason": "over\u200bbroad"}, "reason") == ""
    assert form_text({"reason": "bidi \u202e"}, "reason") == ""
    assert form_text({"reason": "cafe\u0301"}, "reason") == "caf\u00e9"  # NFC, as the API keeps it
    assert form_text({}, "explanation") == ""
