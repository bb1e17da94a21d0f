#!/bin/bash
# Notebook on-start lifecycle script (runs as root on every start, must finish within 5 minutes).
# The stack fills in the @...@ placeholders at synth time.
set -euo pipefail

RAY_REQUIREMENT='@RAY_REQUIREMENT@'
IDLE_STOP_MINUTES='@IDLE_STOP_MINUTES@'
KERNEL_ENV=/home/ec2-user/anaconda3/envs/pytorch
SYSTEM_PYTHON=/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python
LOG=/home/ec2-user/SageMaker/.ray-install.log

# Conda environments are not kept across stop/start, so Ray is installed on every start. The
# install takes minutes, so it runs in the background and never holds up the 5-minute limit.
nohup sudo -u ec2-user -i bash -c \
    "'$KERNEL_ENV/bin/python' -m pip install --quiet '$RAY_REQUIREMENT' && echo 'ray installed: $RAY_REQUIREMENT'" \
    >"$LOG" 2>&1 &

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
