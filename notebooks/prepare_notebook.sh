#!/bin/bash
# Prepares the notebook for this project on every start; shipped inside the project's asset and run
# by the on-start lifecycle script as ec2-user, from the unpacked asset:
#
#   prepare_notebook.sh UNPACKED_PROJECT
#
# In the foreground (seconds, so the 5-minute lifecycle limit holds): places the project in
# ~/SageMaker (the only folder kept across stop and start) without overwriting a copy the user
# edited, and registers the "Ray on SageMaker (Python 3.11)" Jupyter kernel. In the background,
# on the first start only (or when the project's pins change): creates the kernel's Python 3.11
# environment on the persistent volume, with the project's `training`, `launcher` and `notebook`
# pins. Later starts find it ready and take seconds. Progress and failures go to $LOG.
set -euo pipefail

SOURCE=$(cd "$1" && pwd)
NB_HOME=${NB_HOME:-/home/ec2-user}
CONDA=${CONDA:-$NB_HOME/anaconda3/bin/conda}
# The Jupyter server's own environment has ipykernel; it serves the kernel until ours is ready.
FALLBACK_PYTHON=${FALLBACK_PYTHON:-$NB_HOME/anaconda3/envs/JupyterSystemEnv/bin/python}
PERSISTENT=$NB_HOME/SageMaker
WORK=$PERSISTENT/.ray-on-sagemaker
ENV_DIR=$WORK/env
LOG=$WORK/setup.log
PROJECT=$PERSISTENT/ray-on-sagemaker
PLACED=$WORK/placed.sha256
KERNEL_NAME=ray-on-sagemaker
KERNEL_DIR=$NB_HOME/.local/share/jupyter/kernels/$KERNEL_NAME
PYTHON_VERSION=3.11
PIP_VERSION=25.3

mkdir -p "$WORK"

log() { echo "$(date -u +%FT%TZ) $*" >>"$LOG"; }

# The checksums of a project tree's files, relative to it: what "unchanged" is measured against.
checksums() { (cd "$1" && find . -type f ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 -r sha256sum); }

# Copies the asset into ~/SageMaker/ray-on-sagemaker, or beside it when the user edited that copy.
place_project() {
    local version
    version=$(checksums "$SOURCE" | sha256sum | cut -c1-12)
    if [ ! -d "$PROJECT" ]; then
        cp -r "$SOURCE" "$PROJECT"
        checksums "$PROJECT" >"$PLACED"
        log "project placed in $PROJECT (version $version)"
    elif [ -f "$PLACED" ] && (cd "$PROJECT" && sha256sum --check --quiet --strict "$PLACED" >/dev/null 2>&1) \
        && [ "$(find "$PROJECT" -type f ! -path '*/__pycache__/*' | wc -l)" -eq "$(wc -l <"$PLACED")" ]; then
        if [ "$(checksums "$SOURCE")" != "$(cat "$PLACED")" ]; then
            rm -rf "$PROJECT" && cp -r "$SOURCE" "$PROJECT"
            checksums "$PROJECT" >"$PLACED"
            log "project in $PROJECT updated to version $version"
        fi
    elif [ ! -d "$PROJECT-$version" ]; then
        cp -r "$SOURCE" "$PROJECT-$version"
        log "$PROJECT has your edits and is kept; this stack's version is in $PROJECT-$version"
    fi
}

# The kernel starts through this script: our environment when ready, else the Jupyter server's
# Python with RAY_ON_SAGEMAKER_KERNEL=preparing, which the walkthrough's first cell turns into a message.
register_kernel() {
    mkdir -p "$KERNEL_DIR"
    cat >"$WORK/kernel.sh" <<KERNEL
#!/bin/bash
if [ -f '$ENV_DIR/.ready' ]; then
    exec '$ENV_DIR/bin/python' -m ipykernel_launcher "\$@"
fi
export RAY_ON_SAGEMAKER_KERNEL="preparing: see $LOG"
exec '$FALLBACK_PYTHON' -m ipykernel_launcher "\$@"
KERNEL
    chmod +x "$WORK/kernel.sh"
    cat >"$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$WORK/kernel.sh", "-f", "{connection_file}"],
  "display_name": "Ray on SageMaker (Python $PYTHON_VERSION)",
  "language": "python",
  "env": {"RAY_ON_SAGEMAKER_PROJECT": "$PROJECT"}
}
JSON
}

# Creates (or refreshes) the environment; run in the background. .ready holds the pins' checksum.
build_environment() {
    local pins=$1
    log "preparing the kernel environment in $ENV_DIR (Python $PYTHON_VERSION, the project's pins)"
    rm -f "$ENV_DIR/.ready"
    if ! "$ENV_DIR/bin/python" --version 2>/dev/null | grep -q "Python $PYTHON_VERSION\."; then
        rm -rf "$ENV_DIR"
        "$CONDA" create --yes --quiet --prefix "$ENV_DIR" "python=$PYTHON_VERSION" pip >>"$LOG" 2>&1
    fi
    "$ENV_DIR/bin/python" -m pip install --quiet "pip==$PIP_VERSION" >>"$LOG" 2>&1
    "$ENV_DIR/bin/python" -m pip install --quiet \
        --group "$SOURCE/pyproject.toml:training" --group "$SOURCE/pyproject.toml:launcher" \
        --group "$SOURCE/pyproject.toml:notebook" >>"$LOG" 2>&1
    # The log line first, .ready last: whoever sees .ready (the kernel, a test) also finds the log complete.
    log "kernel environment ready: open a notebook with the 'Ray on SageMaker (Python $PYTHON_VERSION)' kernel"
    echo "$pins" >"$ENV_DIR/.ready"
}

place_project
register_kernel
pins=$(sha256sum <"$SOURCE/pyproject.toml" | cut -c1-64)
if [ "$(cat "$ENV_DIR/.ready" 2>/dev/null)" = "$pins" ]; then
    log "kernel environment ready (reused from an earlier start)"
else
    # setsid + nohup: the build outlives this script and the lifecycle hook that started it; the lock
    # keeps a second start from building beside a build that is still running.
    export -f build_environment log
    export ENV_DIR LOG CONDA PYTHON_VERSION PIP_VERSION SOURCE
    setsid nohup flock --nonblock "$WORK/.build.lock" \
        bash -c 'build_environment "$0" || log "kernel environment FAILED: see the lines above"' "$pins" \
        >>"$LOG" 2>&1 </dev/null &
fi
