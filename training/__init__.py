"""What runs inside a SageMaker training job (and locally): Ray Train and Ray Tune on MNIST-format data.

`entrypoint.py` is what the image starts; it reads the contract (`contract/`), forms the Ray cluster
over the job's hosts (`cluster/`) and runs one program: ours (`programs/`) or the user's (`script/`),
tracked in MLflow (`tracking/`). `ray_job.py` runs ours on a Ray cluster that is not SageMaker's;
`train.py` and `tune.py` are the entry point with the program fixed. Nothing here imports infra/ or launcher/.
"""
