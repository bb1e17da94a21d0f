"""Jobs on SageMaker: the request built, checked and sent, then followed, listed and fetched.

`request.py` is the job as asked for; `trainer.py` builds CreateTrainingJob's request with the SDK's
ModelTrainer, `service_model.py` checks it against botocore's model, `send.py` sends it. `follow.py`
streams status and logs, `listing.py` describes, lists and stops jobs, `results.py` fetches a finished
one; `metrics.py`, `tracking.py`, `warm_pool.py` and `dashboard.py` each own one part of a job.
"""
