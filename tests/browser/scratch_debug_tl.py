from typing import Any
import pytest
from browser_helpers import sign_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_debug(live_server: Any, phone: Any, team: Any, make_assessment: Any, add_responses: Any, make_facilitator: Any) -> None:
    a = make_assessment(team, threshold=3, comment_threshold=3)
    add_responses(a, [5, 4, 3, 2])
    make_facilitator(team.system)
    page = phone
    sign_in(page, live_server.url, "fiona.facilitator")
    page.goto(f"{live_server.url}/systems/{team.system.pk}/cycles/")
    print(page.evaluate("""() => [...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 360).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 30)"""))
    screenshot(page, "debug-cycles.png")
