# Infrastructure verbs: the pinned CDK CLI from node_modules runs infra/app.py with .venv (see cdk.json).
# Pass extra CDK options through CDK_ARGS, e.g. make deploy CDK_ARGS="-c instanceType=ml.g5.xlarge".
# The CLI and the app's jsii runtime both run on the Node 22 that package.json pins (npm package `node`),
# whatever node the machine has: node_modules/.bin comes first on their PATH.

CDK := node_modules/.bin/cdk
CDK_CLI := node_modules/.package-lock.json
CHECKOV := .venv-checkov/bin/checkov
CHECKOV_INSTALLED := .venv-checkov/.installed
CDK_OUT := cdk.out
# infra/stack_names.py's OUTPUTS_FILE, which a test checks this against; the other verbs read it as STACK_OUTPUTS.
CDK_OUTPUTS := cdk-outputs.json
CDK_ARGS ?=
# direct: outputs appear on moto too; change-set: needed for --import-existing-resources (see the README).
DEPLOY_METHOD ?= direct
# No version check, telemetry or notices: the CLI then talks to nothing but the AWS endpoints it deploys to.
CDK_RUN := PATH="$(CURDIR)/node_modules/.bin:$$PATH" CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true \
	$(CDK) --no-notices --output $(CDK_OUT)
# checkov asks a web service for guideline links unless told not to; BC_SKIP_MAPPING keeps it offline.
CHECKOV_RUN := BC_SKIP_MAPPING=TRUE $(CHECKOV) --framework cloudformation --skip-download --quiet --compact

TEST_PREREQS += $(CDK_CLI) $(CHECKOV_INSTALLED)
LINTERS += lint-infra

##@ Infra: the stack on AWS (CDK)
.PHONY: synth diff deploy destroy bootstrap lint-infra lint-template

$(CDK_CLI): package.json package-lock.json
	npm ci --no-audit --no-fund --no-update-notifier
	touch $@

$(CHECKOV_INSTALLED): pyproject.toml
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet pip==$(PIP_VERSION)
	.venv-checkov/bin/pip install --group checkov
	touch $@

synth: $(INSTALLED) $(CDK_CLI) ## synthesize the CloudFormation template into cdk.out/ (cdk-nag checks run here)
	$(CDK_RUN) synth --quiet $(CDK_ARGS)

diff: $(INSTALLED) $(CDK_CLI) ## show what a deploy would change in the current AWS account
	$(CDK_RUN) diff $(CDK_ARGS)

bootstrap: $(INSTALLED) $(CDK_CLI) ## prepare the current AWS account and region for CDK deploys (once per account/region)
	$(CDK_RUN) bootstrap $(CDK_ARGS)

# The stack's only parameter is CDK's BootstrapVersion, whose template default is right on every deploy, so
# --no-previous-parameters changes nothing on AWS and lets an update go through moto (see tests/infra).
deploy: $(INSTALLED) $(CDK_CLI) ## deploy the stack and write its outputs to CDK_OUTPUTS (cdk-outputs.json)
	$(CDK_RUN) deploy --method=$(DEPLOY_METHOD) --require-approval never --no-previous-parameters \
		--outputs-file $(CDK_OUTPUTS) $(CDK_ARGS)

destroy: $(INSTALLED) $(CDK_CLI) ## delete the stack (buckets, key and repository are kept unless removalPolicy=destroy)
	$(CDK_RUN) destroy --force $(CDK_ARGS)
	rm -f $(CDK_OUTPUTS)

lint-infra: synth ## check the template: cdk-nag (in synth), checkov, cfn-lint and parliament (IAM policies)
	$(MAKE) --no-print-directory lint-template

# Checks an already synthesized cdk.out/ (the tests point CDK_OUT at their own synth); summary in checkov.json.
# tools/iam_lint.py runs parliament over every IAM policy of the template, intrinsic functions resolved.
lint-template: $(CHECKOV_INSTALLED)
	$(CHECKOV_RUN) -f $(CDK_OUT)/*.template.json -o cli -o json --output-file-path console,$(CDK_OUT)/checkov.json
	$(VENV)/bin/cfn-lint $(CDK_OUT)/*.template.json
	$(VENV)/bin/python -m tools.iam_lint $(CDK_OUT)/*.template.json
