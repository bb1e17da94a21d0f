"""CDK entry point (`cdk.json` runs `python -m infra.app`): settings from context, one stack, cdk-nag on top.

cdk-nag's AwsSolutions checks run on every synth, so `make synth`, `make deploy` and the tests all
fail on a new unsuppressed finding.
"""

import sys

from aws_cdk import App, Aspects
from cdk_nag import AwsSolutionsChecks

from infra.settings import InfraSettings, SettingsError
from infra.stack import RayOnSageMakerStack


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> tuple[App, RayOnSageMakerStack]:
    """Create the app and its stack; raises SettingsError for a bad setting."""
    app = App(context=context, outdir=outdir)
    settings = InfraSettings.from_context(app.node.try_get_context)
    stack = RayOnSageMakerStack(app, settings.name_prefix, settings=settings)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True, reports=False))
    return app, stack


def main() -> None:
    """Synthesize, or exit with the settings error's one sentence (no traceback for a user's typo)."""
    try:
        app, _ = build_app()
    except SettingsError as error:
        sys.exit(f"Error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
