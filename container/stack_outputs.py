"""Values from the deployed stack's outputs file (`cdk deploy --outputs-file`, written by `make deploy`).

The file maps stack names to their outputs: {"StackName": {"RepositoryUri": "...", "Region": "..."}}, under the
ids infra/stack_names.py defines.
It is read here only: `make push-image` and the launcher (launcher/stack/outputs.py) both come through this module.
"""

from __future__ import annotations

import json
from pathlib import Path


class OutputsError(Exception):
    """The outputs file is missing, unreadable, or lacks the stack or output asked for."""


def stack_outputs(path: Path, stack: str | None = None) -> tuple[str, dict[str, str]]:
    """The name and every output of `stack`, or of the file's only stack when no name is given."""
    try:
        stacks = json.loads(path.read_text())
    except FileNotFoundError:
        raise OutputsError(f"{path} not found: deploy the stack first (make deploy)") from None
    except json.JSONDecodeError as error:
        raise OutputsError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(stacks, dict) or not stacks:
        raise OutputsError(f"{path} holds no stack outputs")
    if stack is None:
        if len(stacks) > 1:
            raise OutputsError(f"{path} holds several stacks ({', '.join(stacks)}); name one with STACK_NAME")
        stack = next(iter(stacks))
    outputs = stacks.get(stack)
    if not isinstance(outputs, dict):
        raise OutputsError(f"{path} has no stack '{stack}' (it has {', '.join(stacks)})")
    return stack, {str(key): str(value) for key, value in outputs.items()}


def stack_output(path: Path, key: str, stack: str | None = None) -> str:
    """The output `key` of `stack`, or of the file's only stack when no name is given."""
    name, outputs = stack_outputs(path, stack)
    if key not in outputs:
        raise OutputsError(f"stack '{name}' in {path} has no output '{key}'")
    return outputs[key]
