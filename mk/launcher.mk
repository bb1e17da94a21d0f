# Launcher verbs: jobs on the deployed stack (launcher/cli.py does the work; `python -m launcher VERB --help`).
# Everything comes from the stack's outputs file (STACK_OUTPUTS, STACK_NAME: see container.mk) and the image
# `make push-image` recorded (IMAGE_URI overrides it); results are unpacked under JOBS_DIR (default jobs/).
# Extra flags go through ARGS, e.g.
#   make train ARGS="--epochs 3 --instance-type ml.m5.xlarge"      make train ARGS="--executor local --epochs 1"
#   make data DATA=folder-with-four-idx-files                      make status JOB=ray-on-sagemaker-train-...
#   make dashboard JOB=ray-on-sagemaker-train-...                  (the running job's Ray dashboard on localhost:8265)
#   make run SCRIPT=examples/digits_search/search.py ARGS="--num-samples 8 --executor local"   (your own Ray program)

ARGS ?=
DATA ?=
JOB ?=
JOBS_DIR ?= jobs
LAUNCHER := $(PY) -m launcher
LAUNCHER_STACK := --outputs '$(STACK_OUTPUTS)' $(if $(STACK_NAME),--stack '$(STACK_NAME)')
LAUNCHER_IMAGE := --image-file '$(IMAGE_URI_FILE)' $(if $(IMAGE_URI),--image '$(IMAGE_URI)') --jobs-dir '$(JOBS_DIR)'

##@ Launcher: jobs on the deployed stack
.PHONY: data train tune run status logs stop jobs dashboard

data: $(INSTALLED) ## upload the MNIST IDX files (the digits, or DATA=folder) to the stack's data bucket
	$(LAUNCHER) data $(LAUNCHER_STACK) $(if $(DATA),--data '$(DATA)') $(ARGS)

train: $(INSTALLED) ## run a training job on the stack (ARGS="--epochs 3 --no-spot --executor local ...")
	$(LAUNCHER) train $(LAUNCHER_STACK) $(LAUNCHER_IMAGE) $(ARGS)

tune: $(INSTALLED) ## run the hyperparameter search as a training job (ARGS as for train)
	$(LAUNCHER) tune $(LAUNCHER_STACK) $(LAUNCHER_IMAGE) $(ARGS)

run: $(INSTALLED) ## run SCRIPT=your/job.py as a training job; its folder goes up as the code channel (ARGS as for train, plus the script's)
	$(LAUNCHER) run $(LAUNCHER_STACK) $(LAUNCHER_IMAGE) $(if $(SCRIPT),--script '$(SCRIPT)') \
		$(if $(DATA),--local-data '$(DATA)') $(ARGS)

status: $(INSTALLED) ## show a job's status (JOB=name)
	$(LAUNCHER) status $(LAUNCHER_STACK) '$(JOB)'

logs: $(INSTALLED) ## follow a job's status and logs until it ends, then fetch its results (JOB=name)
	$(LAUNCHER) logs $(LAUNCHER_STACK) --jobs-dir '$(JOBS_DIR)' '$(JOB)'

stop: $(INSTALLED) ## stop a job; its latest checkpoint is kept (JOB=name)
	$(LAUNCHER) stop $(LAUNCHER_STACK) '$(JOB)'

jobs: $(INSTALLED) ## the stack's recent jobs: status, duration, final test accuracy
	$(LAUNCHER) jobs $(LAUNCHER_STACK) $(ARGS)

dashboard: $(INSTALLED) ## open a running job's Ray dashboard on localhost through SSM (JOB=name; needs the AWS CLI's Session Manager plugin)
	$(LAUNCHER) dashboard $(LAUNCHER_STACK) '$(JOB)' $(ARGS)
