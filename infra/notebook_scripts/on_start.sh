#!/bin/bash
# Notebook on-start lifecycle script (runs as root on every start, must finish within 5 minutes).
# The stack fills in the @...@ placeholders at synth time.
set -euo pipefail

IDLE_STOP_MINUTES='@IDLE_STOP_MINUTES@'
PROJECT_ASSET='@PROJECT_ASSET@'
SYSTEM_PYTHON=/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python
WORK=/home/ec2-user/SageMaker/.ray-on-sagemaker
LOG=$WORK/setup.log

# The project (the stack's CDK asset) is fetched and unpacked as ec2-user, then prepare_notebook.sh places
# it in ~/SageMaker and registers the Python 3.11 kernel; it builds the kernel's environment in the
# background, so this takes seconds. A failure is logged and never fails the notebook's start.
sudo -u ec2-user -i bash -c "set -e; mkdir -p '$WORK'; exec >>'$LOG' 2>&1
    aws s3 cp --only-show-errors '$PROJECT_ASSET' '$WORK/project.zip'
    rm -rf '$WORK/project'; python3 -m zipfile -e '$WORK/project.zip' '$WORK/project'
    bash '$WORK/project/notebooks/prepare_notebook.sh' '$WORK/project'" \
    || echo "preparing the project and its kernel failed: see $LOG"

if [ "$IDLE_STOP_MINUTES" -gt 0 ]; then
    cat >/usr/local/bin/notebook-autostop.py <<'AUTOSTOP'
@AUTOSTOP_PROGRAM@
AUTOSTOP
    # Checked now, so a missing boto3 is said once in this start's log (stream <notebook>/LifecycleConfigOnStart)
    # and no timer is armed to fail unseen; Jupyter's API is checked by each run (it is not up yet here).
    if "$SYSTEM_PYTHON" /usr/local/bin/notebook-autostop.py --preflight --idle-minutes "$IDLE_STOP_MINUTES"; then
        cat >/etc/systemd/system/notebook-autostop.service <<UNIT
[Unit]
Description=Stop this notebook instance when Jupyter has been idle for ${IDLE_STOP_MINUTES} minutes

[Service]
Type=oneshot
ExecStart=${SYSTEM_PYTHON} /usr/local/bin/notebook-autostop.py --idle-minutes ${IDLE_STOP_MINUTES}
UNIT
        cat >/etc/systemd/system/notebook-autostop.timer <<'UNIT'
[Unit]
Description=Check every 5 minutes whether the notebook instance is idle

[Timer]
OnBootSec=10min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
UNIT
        systemctl daemon-reload
        systemctl enable --now notebook-autostop.timer
    fi
fi
