"""How soon the job's Ray cluster notices a lost host: the GCS's health checks of each node, tightened.

Ray 2.60's GCS (on the leader) asks every node's raylet whether it is alive every
`health_check_period_ms`, gives each answer `health_check_timeout_ms`, and marks the node dead after
`health_check_failure_threshold` misses in a row. Its defaults (3000 ms, 10000 ms, 5; read from
`ray._raylet.Config`) take about 65 s when a lost host's packets simply vanish, as a failed instance's
do; only then do the Ray Train worker actors on that node count as dead and does the run end with its
reason. Nothing else waits longer: Ray Train polls its workers every 2 s and gives up on a hung poll
only after 10 minutes (RAY_TRAIN_HEALTH_CHECK_INTERVAL_S, RAY_TRAIN_WORKER_HEALTH_CHECK_TIMEOUT_S), and
a surviving rank blocked in gloo's allreduce is killed with its worker group.

The values below mark a silent host dead after 5 misses of 1 s + 3 s, about 20 s. What they cost: one
small gRPC call per host per second to the leader (a few hundred bytes), and a raylet that cannot answer
for about 20 s in a row (a host swapping hard, a stalled disk) is taken for lost and ends the job, which
Ray's defaults would have tolerated for about a minute. A job network within one Availability Zone
answers in well under a millisecond, so 3 s per answer leaves ample room for a busy host.
The GCS reads these as RAY_<name> variables when it starts (every Ray process reads its RayConfig so).
"""

from __future__ import annotations

RAY_HEALTH_CHECKS = {
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "3000",
    "RAY_health_check_failure_threshold": "5",
}
