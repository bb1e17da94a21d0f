"""The one kind of error a launcher user sees: a plain sentence that names the next command."""

from __future__ import annotations

from botocore.exceptions import ClientError


class LauncherError(Exception):
    """Something the user can fix before anything is sent; the message says how."""


def service_answer(error: ClientError) -> str:
    """The service's own answer, shortened to its code and first sentence (quotas and ARNs make them long)."""
    details = error.response.get("Error", {})
    message = str(details.get("Message", error)).strip()
    first = message.split(". ")[0].rstrip(".")
    return f"{details.get('Code', 'Error')}: {first}"
