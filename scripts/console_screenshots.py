"""Copy the browser stories' screenshots that docs/console.md shows into `docs/console/`
(`make screenshots`, which runs the stories first).

Each picture is named after the story, the tab and the step that took it (`Visitor.seen`);
the step numbers change as stories grow, so they are matched by pattern. Each is reduced to
64 colours with `pngquant` when it is installed (`make screenshots` installs it; a fifth of the
size, still legible), else copied as it is. A step no story takes any more fails the script:
the docs would go stale.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAKEN = ROOT / "var" / "screenshots"
DOCS = ROOT / "docs" / "console"

OPERATOR_STORY = "test-an-operator-answers-and-the-user-sees-the-answer-appear"
INLINE_STORY = "test-a-wrong-value-shows-inline-then-the-answer-is-a-table"
ROLES_STORY = "test-a-plain-user-sees-no-staff-link-and-is-refused-the-pages"
RETRY_STORY = "test-an-admin-retries-failed-requests"
REQUEUE_STORY = "test-an-admin-requeues-a-quarantined-batch"

PICTURES = {
    # the request network
    "request-login": (OPERATOR_STORY, "user", "login"),
    "request-types": (OPERATOR_STORY, "user", "portal"),
    "request-submit": (OPERATOR_STORY, "user", "ask-form"),
    "request-inline-error": (INLINE_STORY, "user", "inline-error"),
    "request-answer": (INLINE_STORY, "user", "table"),
    "request-requests": (OPERATOR_STORY, "user", "my-requests"),
    "request-quota": (OPERATOR_STORY, "user", "quota"),
    "request-api-keys": (ROLES_STORY, "user", "api-keys"),
    "request-admin-requests": (ROLES_STORY, "admin", "requests-by-status"),
    "request-admin-users": (ROLES_STORY, "admin", "users"),
    "request-admin-user": (ROLES_STORY, "admin", "user"),
    "request-admin-cache": (ROLES_STORY, "admin", "cache"),
    "request-transfer": (ROLES_STORY, "admin", "transfer"),
    "request-audit": (ROLES_STORY, "admin", "audit"),
    "request-alerts": (ROLES_STORY, "admin", "alerts"),
    "request-tasks": (ROLES_STORY, "admin", "tasks"),
    # the response network
    "response-queue": (OPERATOR_STORY, "operator", "queue"),
    "response-queue-request": (OPERATOR_STORY, "operator", "claimed"),
    "response-failed": (RETRY_STORY, "admin", "failed-list"),
    "response-refused": (ROLES_STORY, "user", "queue-refused"),
    "response-overview": (REQUEUE_STORY, "admin", "overview"),
    "response-transfer": (REQUEUE_STORY, "admin", "transfer-quarantined"),
    "response-audit": (REQUEUE_STORY, "admin", "audit"),
    "response-alerts": (REQUEUE_STORY, "admin", "alerts"),
    "response-tasks": (REQUEUE_STORY, "admin", "tasks"),
    "response-users": (RETRY_STORY, "admin", "users"),
    "response-user": (RETRY_STORY, "admin", "user"),
    "response-profiles": (RETRY_STORY, "admin", "profiles"),
    "response-type": (RETRY_STORY, "admin", "type-preview"),
    "response-type-try": (RETRY_STORY, "admin", "type-tried"),
}


def taken(story: str, tab: str, step: str) -> Path:
    found = sorted(TAKEN.glob(f"{story}-{tab}-[0-9][0-9]-{step}.png"))
    if not found:
        sys.exit(f"no screenshot of {story} / {tab} / {step} in {TAKEN}: run the stories first")
    return found[-1]


def main() -> None:
    pngquant = shutil.which("pngquant")
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, (story, tab, step) in PICTURES.items():
        source, target = taken(story, tab, step), DOCS / f"{name}.png"
        if pngquant:
            command = [pngquant, "64", "--strip", "--force", "--output", str(target), str(source)]
            subprocess.run(command, check=True)
        else:
            shutil.copyfile(source, target)
    print(f"{len(PICTURES)} screenshots in {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
