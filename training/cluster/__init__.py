"""The Ray cluster over a job's hosts: formed, sized, watched, recorded and left together.

`hosts.py` is the rendezvous (the leader's head, the others joining, the release at the end);
`session.py` is the Ray a program runs in on top of it (start or join, sized by `sizing.py`, recorded
by `ray_record.py` when it ends). `network.py`, `health_checks.py`, `release.py`, `object_store.py`,
`gpu_check.py` and `stopping.py` each hold one fact about running Ray on SageMaker hosts.
"""
