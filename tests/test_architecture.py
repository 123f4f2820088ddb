"""The direction of the arrows between our apps (README, "How the code is laid out"), checked on the source:
an import against the direction fails here before it tangles the apps."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "accounts",
    "scheduling",
    "waitingroom",
    "videoproviders",
    "notifications",
    "audit",
    "privacy",
    "webhooks",
    "api",
]


def _imports(app: str) -> set[tuple[str, str]]:
    """(importing file, imported module) for every absolute import of one of our apps."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from scheduling import lifecycle` imports the module scheduling.lifecycle.
                modules = [f"{node.module}.{a.name}" for a in node.names] if "." not in node.module else [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] in APPS and module.split(".")[0] != app:
                    found.add((str(path.relative_to(ROOT)), module))
    return found


def test_accounts_is_the_ground_floor_and_imports_no_other_app():
    assert _imports("accounts") == set()


@pytest.mark.parametrize("app", ["notifications", "videoproviders", "audit", "webhooks"])
def test_apps_that_scheduling_calls_only_read_its_data(app):
    # scheduling's services call these apps; they read consults, never call back into booking or changing.
    readable = {"scheduling.models", "scheduling.selectors", "scheduling.recurrence", "scheduling.values"}
    calls_back = {
        (path, module) for path, module in _imports(app) if module.startswith("scheduling") and module not in readable
    }
    assert calls_back == set()


def test_webhooks_read_consults_and_are_called_only_where_changes_happen():
    # The webhooks app reads consults and imports no app that reacts to them; scheduling's effects, the
    # waiting room's check-in and the outbox plan events through its services, and nobody else reaches in.
    readable = {"scheduling.models", "scheduling.selectors"}
    found = {(path, module) for path, module in _imports("webhooks") if not module.startswith("accounts")}
    assert {(path, module) for path, module in found if module not in readable} == set()
    callers = {(path, module) for app in APPS for path, module in _imports(app) if module.split(".")[0] == "webhooks"}
    assert {path for path, _module in callers} == {
        "scheduling/effects.py",
        "waitingroom/services.py",
        "notifications/services.py",
    }
    assert {module for _path, module in callers} <= {"webhooks.services", "webhooks.models"}


def test_the_waiting_room_reads_consults_and_changes_them_only_through_the_lifecycle_and_self_service():
    # The client's pages start a consult (lifecycle) and cancel it or ask for another time (selfservice).
    readable = {
        "scheduling.models",
        "scheduling.selectors",
        "scheduling.filters",
        "scheduling.lifecycle",
        "scheduling.selfservice",
    }
    other = {(path, module) for path, module in _imports("waitingroom") if module.startswith("scheduling")}
    assert {(path, module) for path, module in other if module not in readable} == set()


def test_privacy_writes_nothing_itself_and_calls_each_apps_erase_functions():
    # It may read models to find a person; it changes them only through an app's own erasure module.
    writes = {
        (path, module)
        for path, module in _imports("privacy")
        if module.split(".")[-1]
        not in {"models", "selectors", "phones", "erasure", "services", "admin_scope", "admin_site"}
    }
    assert writes == set()


def test_statistics_read_the_other_apps_and_nothing_imports_them():
    # The page adds up what the other apps recorded; it books, sends or changes nothing, and no app depends on it.
    readable = {"models", "selectors", "filters"}
    found = {
        (str(path.relative_to(ROOT)), module)
        for path in (ROOT / "reports").rglob("*.py")
        for module in _module_imports(path)
        if module.split(".")[0] in APPS and module.split(".")[-1] not in readable
    }
    assert found == {("reports/views.py", "audit.services")}
    assert not any(module.startswith("reports") for app in APPS for _path, module in _imports(app))


def _module_imports(path: Path) -> set[str]:
    return {
        node.module
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
    }


def test_the_api_is_an_entry_point_that_changes_consults_only_through_the_scheduling_services():
    # Like the views: it reads through selectors and changes consults only through the services that the
    # pages use, so the same rules and effects apply; nothing of ours imports it.
    allowed = {
        "scheduling.models",
        "scheduling.selectors",
        "scheduling.rules",
        "scheduling.phones",
        "scheduling.recurrence",
        "scheduling.changes",
        "scheduling.services",
        "scheduling.series",
        "waitingroom.lists",
        "audit.context",
        "audit.models",
        "audit.services",
    }
    found = {
        (path, module)
        for path, module in _imports("api")
        if not module.startswith("accounts") and module not in allowed
    }
    assert found == set()
    assert not any(module.startswith("api") for app in APPS if app != "api" for _path, module in _imports(app))
