# Ray elsewhere: train, tune or your own Ray program on an existing Ray cluster (Ray Jobs API) or on Anyscale.
#   make ray-submit RAY_ADDRESS=http://HEAD:8265 [SCRIPT=path/job.py | PROGRAM=tune] [ARGS="--epochs 2"]
#                   [RAY_ENV="SM_BASE_DIR=/shared/job SM_CHANNEL_TRAINING=/shared/digits"] [PINS=0]
#   make anyscale-submit [SCRIPT=... | PROGRAM=...] [ARGS=...] [ANYSCALE_ARGS="--compute-config NAME ..."] [DRY_RUN=1]
# PINS=0 runs on the cluster's own packages instead of the `training` group's pins (Ray is never re-pinned).

RAY_ADDRESS ?=
SCRIPT ?=
PROGRAM ?= train
ARGS ?=
RAY_ENV ?=
PINS ?= 1
ANYSCALE_ARGS ?=
DRY_RUN ?=

RAY_JOB_ARGS = $(if $(SCRIPT),--script '$(SCRIPT)',--program '$(PROGRAM)') $(foreach pair,$(RAY_ENV),--env '$(pair)')

##@ Ray clusters: other than SageMaker's
.PHONY: ray-submit anyscale-submit

ray-submit: $(INSTALLED) ## run train, tune or SCRIPT=your.py on an existing Ray cluster (RAY_ADDRESS=http://HEAD:8265)
	$(PY) -m launcher ray-submit --address '$(RAY_ADDRESS)' $(RAY_JOB_ARGS) $(if $(filter 0,$(PINS)),--no-pins) -- $(ARGS)

anyscale-submit: $(INSTALLED) ## run train, tune or SCRIPT=your.py as an Anyscale job (DRY_RUN=1 prints its config)
	$(PY) -m launcher anyscale-submit $(RAY_JOB_ARGS) --image-file '$(IMAGE_URI_FILE)' \
		$(if $(DRY_RUN),--dry-run) $(ANYSCALE_ARGS) -- $(ARGS)
