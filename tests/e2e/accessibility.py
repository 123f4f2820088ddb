"""axe-core in the browser tests: every page a test visits is checked against WCAG 2.0, 2.1 and 2.2 A and AA.

axe-core is vendored (tests/e2e/axe/axe.min.js, the npm package's file as published, MPL 2.0, its licence
beside it), so the check runs offline. The script is handed to the page through the DevTools protocol,
which the Content-Security-Policy does not govern; the pages themselves load nothing new.

A page records where it navigated; `check_accessibility` runs axe on what the page shows now. The page
fixtures end by asserting that every page visited was checked at least once.
"""

from pathlib import Path
from urllib.parse import urlsplit

AXE_SOURCE = (Path(__file__).parent / "axe" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN_AXE = """async ([tags, iframes]) => {
    const only = {type: "tag", values: tags};
    const options = {runOnly: only, resultTypes: ["violations"], iframes: iframes, preload: iframes};
    const results = await axe.run(document, options);
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    }));
}"""


class Visits:
    """The pages one browser page navigated to, and those axe has checked (by path: a query does not make
    another page). Pages of other origins (a video provider's, about:blank) are not ours to check."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.visited: set[str] = set()
        self.checked: set[str] = set()
        page.on("framenavigated", self.navigated)

    def navigated(self, frame) -> None:
        if frame == self.page.main_frame and frame.url.startswith(self.base_url):
            self.visited.add(self.path(frame.url))

    def path(self, url: str) -> str:
        return urlsplit(url).path

    def unchecked(self) -> list[str]:
        return sorted(self.visited - self.checked)


VISITS: dict = {}  # page -> Visits, for the pages that are watched


def watch_visits(page, base_url: str) -> None:
    VISITS[page] = Visits(page, base_url)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def check_accessibility(page, *, iframes: bool = True) -> None:
    """Runs axe on the page as it is now; fails with the list of violations. iframes=False leaves out frames
    that are not pages of the site (the admin's preview of an email, sandboxed without scripts), and with
    them axe's preload of style sheets, which reached into those frames with a style their Content-Security-
    Policy refuses; only the rule on a page locked to one orientation needs that preload."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE + "\n;0")
    violations = page.evaluate(RUN_AXE, [WCAG_TAGS, iframes])
    assert not violations, f"axe found on {page.url}:\n{format_violations(violations)}"
    visits = VISITS.get(page)
    if visits is not None:
        visits.checked.add(visits.path(page.url))


def assert_every_page_checked(page) -> None:
    visits = VISITS.pop(page, None)
    if visits is not None:
        unchecked = visits.unchecked()
        assert not unchecked, f"pages visited without an accessibility check: {unchecked}"
