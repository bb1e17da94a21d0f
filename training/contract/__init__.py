"""The SageMaker training container contract, both sides of it: what a job is handed and what it hands back.

`environment.py` reads /opt/ml (config files, channels, SM_* variables, the command line) into one
`JobEnvironment`; `layout.py` writes such a folder for local runs, the demo, the benchmarks and the
simulated hosts; `hyperparameters.py` types and checks the hyperparameters; `programs.py` names the
programs a job can run. Nothing else in training/ reads `os.environ` or /opt/ml.
"""
