# Container verbs: the training image (container/Dockerfile), its lint, and its push to the stack's ECR.
# container/push.py does the work; these variables are its knobs:
#   CONTAINER_TOOL  docker | podman | buildah (default: docker if a daemon answers, else podman, else buildah)
#   FORCE=1         push even from a tree with uncommitted changes (tag <commit>-dirty-<time>-<hash>)
#   GPU=1           install torch's CUDA 12.6 build from PyTorch's index (tag <commit>-<hash>-gpu)
#   BASE_IMAGE      build on another image than the Dockerfile's python:3.11-slim-bookworm (pinned by digest)
#   IMAGE_BUILD_ARGS / IMAGE_PUSH_ARGS  extra arguments for the tool's build / push
#   STACK_OUTPUTS / STACK_NAME          the outputs file `make deploy` wrote (CDK_OUTPUTS), and the stack in it
#                                       (default: its only one)
#   IMAGE_URI_FILE  where the pushed image's URI is recorded for `make train` (every command's --image-file;
#                   container/image_file.py's IMAGE_FILE, which a test checks this default against)

SYSTEM_PACKAGES += buildah docker-registry mmdebstrap

CONTAINER_TOOL ?=
FORCE ?=
GPU ?=
BASE_IMAGE ?=
IMAGE_BUILD_ARGS ?=
IMAGE_PUSH_ARGS ?=
STACK_OUTPUTS ?= $(CDK_OUTPUTS)
STACK_NAME ?=
IMAGE_URI_FILE ?= build/image-uri.txt

LINTERS += lint-image

##@ Container: the training image
.PHONY: push-image lint-image

push-image: $(INSTALLED) ## build the training image (linux/amd64), push it to the stack's ECR (Docker v2 manifest), record its URI
	$(PY) -m container.push --outputs '$(STACK_OUTPUTS)' --image-file '$(IMAGE_URI_FILE)' \
		$(if $(STACK_NAME),--stack '$(STACK_NAME)') $(if $(CONTAINER_TOOL),--tool '$(CONTAINER_TOOL)') \
		$(if $(FORCE),--force) $(if $(GPU),--gpu) $(if $(BASE_IMAGE),--base-image '$(BASE_IMAGE)') \
		--build-args='$(IMAGE_BUILD_ARGS)' --push-args='$(IMAGE_PUSH_ARGS)'

lint-image: $(INSTALLED) ## check container/Dockerfile with hadolint
	$(VENV)/bin/hadolint container/Dockerfile
